import type { CallerContext } from './images';

export const MEMBER_STATUSES = ['pending', 'accepted', 'rejected'] as const;
export type MemberStatus = (typeof MEMBER_STATUSES)[number];

/** A project an image is shared with. Times are ISO strings. */
export interface MemberRecord {
  imageId: string;
  memberId: string;
  status: MemberStatus;
  createdAt: string;
  updatedAt: string;
}

/**
 * Request-reply subjects for image members, answered by apps/registry.
 * Publisher: apps/api. Consumer: apps/registry. The API checks who may do what; the registry
 * checks that the image exists, is visible to the caller and is shared.
 */
export const MemberSubjects = {
  /** Add a member (pending); conflict if present, payload_too_large over the member quota. */
  create: 'glimpse.registry.member.create.v1',
  /** The image's members the caller may see: all for the owner and admins, itself for a member. */
  list: 'glimpse.registry.member.list.v1',
  /** One member the caller may see (not_found otherwise). */
  get: 'glimpse.registry.member.get.v1',
  /** Change a member's status. */
  update: 'glimpse.registry.member.update.v1',
  /** Remove a member. */
  delete: 'glimpse.registry.member.delete.v1',
} as const;

export interface MemberRequest {
  caller: CallerContext;
  imageId: string;
  memberId: string;
}

export interface CreateMemberRequest extends MemberRequest {
  /** image_member_quota; negative means unlimited. */
  quota: number;
}

export interface UpdateMemberRequest extends MemberRequest {
  status: MemberStatus;
}

export interface MemberRequestMap {
  [MemberSubjects.create]: [CreateMemberRequest, MemberRecord];
  [MemberSubjects.list]: [{ caller: CallerContext; imageId: string }, { members: MemberRecord[] }];
  [MemberSubjects.get]: [MemberRequest, MemberRecord];
  [MemberSubjects.update]: [UpdateMemberRequest, MemberRecord];
  [MemberSubjects.delete]: [MemberRequest, { deleted: true }];
}
