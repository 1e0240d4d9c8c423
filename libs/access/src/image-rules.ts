import { type CallerContext, GlimpseError, type ImageRecord, forbidden, notFound } from '@glimpse/contracts';
import { type PolicyEnforcer, imageTarget } from './policy-enforcer';

/**
 * The image `find` returns, once the caller may see it. An image the registry has not for this
 * caller, or that get_image refuses, is 404 and never 403 (Glance's ImageAPIPolicy).
 */
export async function visibleImage(policy: PolicyEnforcer, caller: CallerContext, id: string, find: () => Promise<ImageRecord>): Promise<ImageRecord> {
  let image: ImageRecord;
  try {
    image = await find();
  } catch (error) {
    if (error instanceof GlimpseError && error.code === 'not_found') throw notFound(`No image found with ID ${id}`);
    throw error;
  }
  if (!policy.allows('get_image', caller, imageTarget(image, caller))) throw notFound(`No image found with ID ${id}`);
  return image;
}

/** Whether the caller may have the image's data: not while it is deactivated (but for admins), and download_image. */
export function authorizeDownload(policy: PolicyEnforcer, caller: CallerContext, image: ImageRecord): void {
  if (image.status === 'deactivated' && !caller.isAdmin) {
    throw forbidden('The requested image has been deactivated. Image data download is forbidden.');
  }
  policy.authorize('download_image', caller, imageTarget(image, caller));
}
