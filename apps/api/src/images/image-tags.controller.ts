import { Controller, Delete, HttpCode, Inject, Param, Put } from '@nestjs/common';
import { RegistryClient } from '@glimpse/bus';
import { type CallerContext, RegistrySubjects, badRequest } from '@glimpse/contracts';
import { API_SETTINGS, type ApiSettings } from '../api.settings';
import { Caller } from '../identity/caller.decorator';
import { assertTagQuota } from './image-quotas';
import { ImageAccess } from './image-access';

/** PUT and DELETE /v2/images/{id}/tags/{tag}. */
@Controller('v2/images/:id/tags')
export class ImageTagsController {
  constructor(
    private readonly registry: RegistryClient,
    private readonly access: ImageAccess,
    @Inject(API_SETTINGS) private readonly settings: ApiSettings,
  ) {}

  @Put(':tag')
  @HttpCode(204)
  async add(@Caller() caller: CallerContext, @Param('id') id: string, @Param('tag') tag: string): Promise<void> {
    if (tag.length > 255) throw badRequest(`Tag is too long (maximum 255 characters).`);
    const image = await this.access.authorized(caller, id, 'modify_image');
    if (!image.tags.includes(tag)) assertTagQuota(image.tags.length + 1, this.settings.imageTagQuota);
    await this.registry.request(RegistrySubjects.addTag, { caller, id, tag });
  }

  @Delete(':tag')
  @HttpCode(204)
  async remove(@Caller() caller: CallerContext, @Param('id') id: string, @Param('tag') tag: string): Promise<void> {
    await this.access.authorized(caller, id, 'modify_image');
    await this.registry.request(RegistrySubjects.removeTag, { caller, id, tag });
  }
}
