import type { CallerContext, ListImagesRequest } from '@glimpse/contracts';
import { Brackets, type WhereExpressionBuilder } from 'typeorm';

/** Shared images the caller belongs to as a member, optionally in one member status. */
function memberOf(alias: string, status: string | null): string {
  const statusCondition = status ? ' AND m.status = :memberStatus' : '';
  return `EXISTS (SELECT 1 FROM image_members m WHERE m.image_id = ${alias}.id AND m.member = :project${statusCondition})`;
}

/** Which images a caller may GET by id (glance/db/utils.py is_image_visible). */
export function whereVisible(qb: WhereExpressionBuilder, caller: CallerContext, alias = 'i'): void {
  if (caller.isAdmin) return;
  qb.andWhere(
    new Brackets((w) => {
      w.where(`${alias}.owner IS NULL`).orWhere(`${alias}.visibility IN ('public', 'community')`);
      if (caller.projectId !== null) {
        w.orWhere(`${alias}.owner = :project`, { project: caller.projectId }).orWhere(
          `(${alias}.visibility = 'shared' AND ${memberOf(alias, null)})`,
          { project: caller.projectId },
        );
      }
    }),
  );
}

/** Which images appear in a list, following Glance's _select_images_query. */
export function whereListed(qb: WhereExpressionBuilder, request: ListImagesRequest, alias = 'i'): void {
  const { caller } = request;
  const visibility = request.filters.visibility;
  const memberStatus = request.memberStatus ?? 'accepted';
  const statusFilter = memberStatus === 'all' ? null : memberStatus;
  const project = caller.projectId;
  const params = { project, memberStatus: statusFilter };
  const own = project === null ? `${alias}.owner IS NULL` : `${alias}.owner = :project`;
  const sharedWithMe = project === null ? '1 = 0' : memberOf(alias, statusFilter);

  switch (visibility) {
    case 'public':
    case 'community':
      qb.andWhere(`${alias}.visibility = :visibility`, { visibility });
      return;
    case 'private':
      qb.andWhere(`${alias}.visibility = 'private'`);
      if (!caller.isAdmin) qb.andWhere(own, params);
      return;
    case 'shared':
      qb.andWhere(`${alias}.visibility = 'shared'`);
      if (!caller.isAdmin) qb.andWhere(`(${own} OR ${sharedWithMe})`, params);
      return;
    case 'all':
      if (!caller.isAdmin) {
        qb.andWhere(`(${own} OR ${alias}.visibility IN ('public', 'community') OR (${alias}.visibility = 'shared' AND ${sharedWithMe}))`, params);
      }
      return;
    default:
      if (caller.isAdmin) {
        qb.andWhere(`(${alias}.visibility <> 'community' OR ${own})`, params);
      } else {
        qb.andWhere(`(${own} OR ${alias}.visibility = 'public' OR (${alias}.visibility = 'shared' AND ${sharedWithMe}))`, params);
      }
  }
}
