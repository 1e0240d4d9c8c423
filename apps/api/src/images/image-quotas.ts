import { GlimpseError } from '@glimpse/contracts';

/** Glance's static quotas (negative = unlimited); going over one is 413. */
function over(count: number, quota: number): boolean {
  return quota >= 0 && count > quota;
}

export function assertTagQuota(tags: number, quota: number): void {
  if (over(tags, quota)) throw new GlimpseError('payload_too_large', `Maximum number of tags exceeded: image_tag_quota is ${quota}.`);
}

/** os_glance* properties are Glance's own and do not count. */
export function assertPropertyQuota(properties: Record<string, string>, quota: number): void {
  const count = Object.keys(properties).filter((name) => !name.startsWith('os_glance')).length;
  if (over(count, quota)) {
    throw new GlimpseError('payload_too_large', `Maximum number of image properties exceeded: image_property_quota is ${quota}.`);
  }
}
