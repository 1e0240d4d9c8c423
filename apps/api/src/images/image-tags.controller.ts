import { Controller, Delete, HttpCode, Param, Put } from '@nestjs/common';
import { type CallerContext, RegistrySubjects, badRequest } from '@glimpse/contracts';
import { Caller } from '../identity/caller.decorator';
import { RegistryClient } from '../registry/registry.client';
import { assertMayChange } from './image-policy';

/** PUT and DELETE /v2/images/{id}/tags/{tag}. */
@Controller('v2/images/:id/tags')
export class ImageTagsController {
  constructor(private readonly registry: RegistryClient) {}

  @Put(':tag')
  @HttpCode(204)
  async add(@Caller() caller: CallerContext, @Param('id') id: string, @Param('tag') tag: string): Promise<void> {
    if (tag.length > 255) throw badRequest(`Tag is too long (maximum 255 characters).`);
    const image = await this.registry.request(RegistrySubjects.getImage, { caller, id });
    assertMayChange(caller, image, 'modify_image');
    await this.registry.request(RegistrySubjects.addTag, { caller, id, tag });
  }

  @Delete(':tag')
  @HttpCode(204)
  async remove(@Caller() caller: CallerContext, @Param('id') id: string, @Param('tag') tag: string): Promise<void> {
    const image = await this.registry.request(RegistrySubjects.getImage, { caller, id });
    assertMayChange(caller, image, 'modify_image');
    await this.registry.request(RegistrySubjects.removeTag, { caller, id, tag });
  }
}
