import { Controller, Delete, Get, HttpCode, Inject, Param, Patch, Post, Req, Res } from '@nestjs/common';
import { type CallerContext, GlimpseError, RegistrySubjects, forbidden } from '@glimpse/contracts';
import type { Request, Response } from 'express';
import { API_SETTINGS, type ApiSettings } from '../api.settings';
import { mediaType, readJsonBody } from '../http/json-body';
import { Caller } from '../identity/caller.decorator';
import { RegistryClient } from '../registry/registry.client';
import { ImageDataService } from './image-data.service';
import { createRequest } from './image-create';
import { assertMayChange } from './image-policy';
import { imageView } from './image-view';
import { ACCEPT_PATCH, dialectOf, parsePatch, patchRequest } from './json-patch';
import { listRequest, pageLinks } from './list-query';

/** /v2/images and /v2/images/{id}: the image records themselves. */
@Controller('v2/images')
export class ImagesController {
  constructor(
    private readonly registry: RegistryClient,
    private readonly data: ImageDataService,
    @Inject(API_SETTINGS) private readonly settings: ApiSettings,
  ) {}

  @Post()
  async create(@Caller() caller: CallerContext, @Req() req: Request, @Res() res: Response): Promise<void> {
    const request = createRequest(caller, await readJsonBody(req), this.settings);
    const image = await this.registry.request(RegistrySubjects.createImage, request);
    res
      .status(201)
      .setHeader('Location', `/v2/images/${image.id}`)
      .json(imageView(image));
  }

  @Get()
  async list(@Caller() caller: CallerContext, @Req() req: Request): Promise<Record<string, unknown>> {
    const params = new URL(req.originalUrl, 'http://glimpse').searchParams;
    const request = listRequest(caller, params, this.settings);
    const { images } = await this.registry.request(RegistrySubjects.listImages, request);
    const full = images.length > 0 && images.length === request.limit;
    return {
      images: images.map(imageView),
      ...pageLinks(params, full ? images[images.length - 1].id : null),
      schema: '/v2/schemas/images',
    };
  }

  @Get(':id')
  async show(@Caller() caller: CallerContext, @Param('id') id: string): Promise<Record<string, unknown>> {
    return imageView(await this.registry.request(RegistrySubjects.getImage, { caller, id }));
  }

  @Patch(':id')
  async update(@Caller() caller: CallerContext, @Param('id') id: string, @Req() req: Request, @Res() res: Response): Promise<void> {
    let dialect;
    try {
      dialect = dialectOf(mediaType(req));
    } catch (error) {
      if (error instanceof GlimpseError) res.setHeader('Accept-Patch', ACCEPT_PATCH);
      throw error;
    }
    const ops = parsePatch(await readJsonBody(req), dialect);
    const image = await this.registry.request(RegistrySubjects.getImage, { caller, id });
    assertMayChange(caller, image, 'modify_image');
    const update = patchRequest(caller, image, ops, dialect, this.settings);
    const unchanged =
      Object.keys(update.fields).length === 0 &&
      Object.keys(update.setProperties).length === 0 &&
      update.removeProperties.length === 0 &&
      update.tags === undefined;
    const result = unchanged ? image : await this.registry.request(RegistrySubjects.updateImage, update);
    res.status(200).json(imageView(result));
  }

  @Delete(':id')
  @HttpCode(204)
  async delete(@Caller() caller: CallerContext, @Param('id') id: string): Promise<void> {
    const image = await this.registry.request(RegistrySubjects.getImage, { caller, id });
    assertMayChange(caller, image, 'delete_image');
    if (image.protected) throw forbidden(`Image ${id} is protected and cannot be deleted.`);
    const { pendingLocations } = await this.registry.request(RegistrySubjects.deleteImage, { caller, id });
    await this.data.deleteData(id, pendingLocations);
  }
}
