import { Controller, HttpCode, Param, Post } from '@nestjs/common';
import { RegistryClient } from '@glimpse/bus';
import { type CallerContext, type ImageStatus, RegistrySubjects, forbidden } from '@glimpse/contracts';
import { Caller } from '../identity/caller.decorator';
import { ImageAccess } from './image-access';

/** POST /v2/images/{id}/actions/deactivate and …/reactivate. */
@Controller('v2/images/:id/actions')
export class ImageActionsController {
  constructor(
    private readonly registry: RegistryClient,
    private readonly access: ImageAccess,
  ) {}

  @Post('deactivate')
  @HttpCode(204)
  async deactivate(@Caller() caller: CallerContext, @Param('id') id: string): Promise<void> {
    await this.flip(caller, id, 'deactivate', 'active', 'deactivated');
  }

  @Post('reactivate')
  @HttpCode(204)
  async reactivate(@Caller() caller: CallerContext, @Param('id') id: string): Promise<void> {
    await this.flip(caller, id, 'reactivate', 'deactivated', 'active');
  }

  /** A no-op when the image is already in the target status; 403 from any other status. */
  private async flip(
    caller: CallerContext,
    id: string,
    rule: 'deactivate' | 'reactivate',
    from: ImageStatus,
    to: ImageStatus,
  ): Promise<void> {
    const image = await this.access.authorized(caller, id, rule);
    if (image.status === to) return;
    if (image.status !== from) throw forbidden(`Not allowed to ${rule} image in status '${image.status}'`);
    await this.registry.request(RegistrySubjects.transitionImage, { caller, id, from, to });
  }
}
