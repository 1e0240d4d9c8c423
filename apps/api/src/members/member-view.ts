import type { MemberRecord } from '@glimpse/contracts';
import { isoTime } from '../images/image-view';

export function memberView(member: MemberRecord): Record<string, unknown> {
  return {
    member_id: member.memberId,
    image_id: member.imageId,
    status: member.status,
    created_at: isoTime(member.createdAt),
    updated_at: isoTime(member.updatedAt),
    schema: '/v2/schemas/member',
  };
}
