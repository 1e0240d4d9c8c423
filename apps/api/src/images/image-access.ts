import { Injectable } from '@nestjs/common';
import { RegistryClient } from '@glimpse/bus';
import { PolicyEnforcer, type PolicyRule, authorizeDownload, imageTarget, visibleImage } from '@glimpse/access';
import { type CallerContext, type ImageRecord, RegistrySubjects } from '@glimpse/contracts';

/**
 * Finds an image the caller may see and checks what the caller may do with it. An image the
 * caller may not get is 404, never 403 (Glance's ImageAPIPolicy); a visible one the caller may
 * not change is 403.
 */
@Injectable()
export class ImageAccess {
  constructor(
    private readonly registry: RegistryClient,
    private readonly policy: PolicyEnforcer,
  ) {}

  visible(caller: CallerContext, id: string): Promise<ImageRecord> {
    return visibleImage(this.policy, caller, id, () => this.registry.request(RegistrySubjects.getImage, { caller, id }));
  }

  authorizeDownload(caller: CallerContext, image: ImageRecord): void {
    authorizeDownload(this.policy, caller, image);
  }

  /** The image, once the caller may both see it and apply `rule` to it. */
  async authorized(caller: CallerContext, id: string, rule: PolicyRule): Promise<ImageRecord> {
    const image = await this.visible(caller, id);
    this.policy.authorize(rule, caller, imageTarget(image, caller));
    return image;
  }

  authorize(rule: PolicyRule, caller: CallerContext, image: ImageRecord): void {
    this.policy.authorize(rule, caller, imageTarget(image, caller));
  }

  mayGet(caller: CallerContext, image: ImageRecord): boolean {
    return this.policy.allows('get_image', caller, imageTarget(image, caller));
  }
}
