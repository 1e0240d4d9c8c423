import { type CallerContext, type ImageRecord, forbidden } from '@glimpse/contracts';

export type ImageAction = 'modify_image' | 'delete_image' | 'upload_image';

/**
 * Glance's default rule for changing an image: an admin, or a member of the owning project.
 * (The policy file and its rules arrive with the policy issue; this is their default.)
 */
export function assertMayChange(caller: CallerContext, image: ImageRecord, action: ImageAction): void {
  if (caller.isAdmin) return;
  if (caller.projectId !== null && image.owner === caller.projectId) return;
  throw forbidden(`You are not authorized to complete ${action} action.`);
}
