import { Injectable } from '@nestjs/common';
import { type CallerContext, GlimpseError, type ImageRecord, RegistrySubjects, notFound } from '@glimpse/contracts';
import { PolicyEnforcer, type PolicyRule, imageTarget } from '../policy/policy-enforcer';
import { RegistryClient } from '../registry/registry.client';

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

  async visible(caller: CallerContext, id: string): Promise<ImageRecord> {
    let image: ImageRecord;
    try {
      image = await this.registry.request(RegistrySubjects.getImage, { caller, id });
    } catch (error) {
      if (error instanceof GlimpseError && error.code === 'not_found') throw notFound(`No image found with ID ${id}`);
      throw error;
    }
    if (!this.policy.allows('get_image', caller, imageTarget(image, caller))) throw notFound(`No image found with ID ${id}`);
    return image;
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
