import { Controller, Delete, Get, HttpCode, Inject, Param, Patch, Post, Req, Res } from '@nestjs/common';
import { RegistryClient } from '@glimpse/bus';
import { type CallerContext, GlimpseError, type ImageRecord, RegistrySubjects, forbidden } from '@glimpse/contracts';
import { Stores } from '@glimpse/stores';
import type { Request, Response } from 'express';
import { API_SETTINGS, type ApiSettings } from '../api.settings';
import { mediaType, readJsonBody } from '../http/json-body';
import { ImportService } from '../import/import.service';
import { Caller } from '../identity/caller.decorator';
import { PolicyEnforcer } from '@glimpse/access';
import { PropertyProtections } from '../policy/property-protections';
import { AbandonedUploads } from './abandoned-uploads';
import { ImageAccess } from './image-access';
import { ImageFactory } from './image-factory';
import { ImageDataService } from './image-data.service';
import { assertPropertyQuota, assertTagQuota } from './image-quotas';
import { ImageLocations } from './image-locations';
import { imageView } from './image-view';
import { ACCEPT_PATCH, type PatchDialect, type PatchOp, dialectOf, parsePatch, patchRequest, splitLocationOps } from './json-patch';
import { listRequest, pageLinks } from './list-query';

/** /v2/images and /v2/images/{id}: the image records themselves. */
@Controller('v2/images')
export class ImagesController {
  constructor(
    private readonly registry: RegistryClient,
    private readonly access: ImageAccess,
    private readonly policy: PolicyEnforcer,
    private readonly protections: PropertyProtections,
    private readonly data: ImageDataService,
    private readonly locations: ImageLocations,
    private readonly stores: Stores,
    private readonly imports: ImportService,
    private readonly abandoned: AbandonedUploads,
    private readonly factory: ImageFactory,
    @Inject(API_SETTINGS) private readonly settings: ApiSettings,
  ) {}

  @Post()
  async create(@Caller() caller: CallerContext, @Req() req: Request, @Res() res: Response): Promise<void> {
    const image = await this.factory.create(caller, await readJsonBody(req));
    // WebOb makes Glance's relative Location absolute against the request's host.
    const location = `${req.protocol}://${req.headers.host ?? 'localhost'}/v2/images/${image.id}`;
    if (this.settings.enabledImportMethods.length > 0) res.setHeader('OpenStack-image-import-methods', this.settings.enabledImportMethods.join(','));
    if (this.stores.multiStore) res.setHeader('OpenStack-image-store-ids', this.stores.list().map((b) => b.id).join(','));
    res.status(201).setHeader('Location', location).json(this.view(caller, image, this.protections.readable(caller)));
  }

  @Get()
  async list(@Caller() caller: CallerContext, @Req() req: Request): Promise<Record<string, unknown>> {
    this.policy.authorize('get_images', caller, { project_id: caller.projectId });
    const params = new URL(req.originalUrl, 'http://glimpse').searchParams;
    const request = listRequest(caller, params, this.settings);
    const { images } = await this.registry.request(RegistrySubjects.listImages, request);
    const readable = this.protections.readable(caller);
    // next is decided on the page the database returned, before per-image policy (as Glance).
    const full = images.length > 0 && images.length === request.limit;
    return {
      images: images.filter((image) => this.access.mayGet(caller, image)).map((image) => this.view(caller, image, readable)),
      ...pageLinks(params, full ? images[images.length - 1].id : null),
      schema: '/v2/schemas/images',
    };
  }

  @Get(':id')
  async show(@Caller() caller: CallerContext, @Param('id') id: string): Promise<Record<string, unknown>> {
    return this.view(caller, await this.access.visible(caller, id), this.protections.readable(caller));
  }

  @Patch(':id')
  async update(@Caller() caller: CallerContext, @Param('id') id: string, @Req() req: Request, @Res() res: Response): Promise<void> {
    const dialect = this.patchDialect(req, res);
    const { recordOps, locationOps } = splitLocationOps(parsePatch(await readJsonBody(req), dialect));
    let image = await this.access.authorized(caller, id, 'modify_image');
    if (locationOps.length > 0) image = await this.patchLocations(caller, image, locationOps);
    const update = patchRequest(caller, image, recordOps, dialect, this.settings);
    this.factory.authorizeVisibility(caller, update.fields.visibility, { project_id: image.owner, owner: image.owner });
    const unchanged =
      Object.keys(update.fields).length === 0 &&
      Object.keys(update.setProperties).length === 0 &&
      update.removeProperties.length === 0 &&
      update.tags === undefined;
    const readable = this.protections.readable(caller);
    if (unchanged) {
      res.status(200).json(this.view(caller, image, readable));
      return;
    }
    for (const name of Object.keys(update.setProperties)) {
      this.protections.authorize(caller, name, Object.hasOwn(image.properties, name) ? 'update' : 'create');
    }
    for (const name of update.removeProperties) this.protections.authorize(caller, name, 'delete');
    this.assertQuotasAfter(image, update.setProperties, update.removeProperties, update.tags);
    res.status(200).json(this.view(caller, await this.registry.request(RegistrySubjects.updateImage, update), readable));
  }

  @Delete(':id')
  @HttpCode(204)
  async delete(@Caller() caller: CallerContext, @Param('id') id: string): Promise<void> {
    const image = await this.access.authorized(caller, id, 'delete_image');
    if (image.protected) throw forbidden(`Image ${id} is protected and cannot be deleted.`);
    const delayed = this.settings.delayedDelete;
    const { pendingLocations } = await this.registry.request(RegistrySubjects.deleteImage, { caller, id, delayed });
    await this.data.deleteData(id, pendingLocations);
    await this.imports.discardStaged(id);
    if (image.status === 'killed') await this.abandoned.purge(id);
  }

  private async patchLocations(caller: CallerContext, image: ImageRecord, ops: PatchOp[]): Promise<ImageRecord> {
    const reply = await this.locations.applyPatch(caller, image, ops);
    if (!reply) return image;
    await this.data.deleteData(image.id, reply.dropped);
    return reply.image;
  }

  private view(caller: CallerContext, image: ImageRecord, readable: (property: string) => boolean): Record<string, unknown> {
    return { ...imageView(image, readable), ...this.locations.viewFields(caller, image) };
  }

  private patchDialect(req: Request, res: Response): PatchDialect {
    try {
      return dialectOf(mediaType(req));
    } catch (error) {
      if (error instanceof GlimpseError) res.setHeader('Accept-Patch', ACCEPT_PATCH);
      throw error;
    }
  }

  /** Quotas are checked when a change adds properties or tags, as Glance checks on save. */
  private assertQuotasAfter(image: ImageRecord, set: Record<string, string>, removed: string[], tags?: string[]): void {
    const properties = { ...image.properties, ...set };
    for (const name of removed) delete properties[name];
    if (Object.keys(set).some((name) => !Object.hasOwn(image.properties, name))) {
      assertPropertyQuota(properties, this.settings.imagePropertyQuota);
    }
    if (tags && tags.length > image.tags.length) assertTagQuota(tags.length, this.settings.imageTagQuota);
  }
}
