import type { CallerContext, ListImagesRequest } from '@glimpse/contracts';
import type { Conditions } from './sql-conditions';

const MEMBER = 'EXISTS (SELECT 1 FROM image_members m WHERE m.image_id = i.id AND m.member = ?';

/** Which images a caller may GET by id (glance/db/utils.py is_image_visible). */
export function whereVisible(where: Conditions, caller: CallerContext): void {
  if (caller.isAdmin) return;
  if (caller.projectId === null) {
    where.and("(i.owner IS NULL OR i.visibility IN ('public', 'community'))");
    return;
  }
  where.and(
    `(i.owner IS NULL OR i.visibility IN ('public', 'community') OR i.owner = ? OR (i.visibility = 'shared' AND ${MEMBER})))`,
    caller.projectId,
    caller.projectId,
  );
}

/** Which images appear in a list, following Glance's _select_images_query. */
export function whereListed(where: Conditions, request: ListImagesRequest): void {
  const { caller } = request;
  const project = caller.projectId;
  const memberStatus = request.memberStatus ?? 'accepted';
  // "Own" and "shared with me" as SQL with their parameters.
  const own: [string, unknown[]] = project === null ? ['i.owner IS NULL', []] : ['i.owner = ?', [project]];
  const sharedWithMe: [string, unknown[]] =
    project === null
      ? ['1 = 0', []]
      : memberStatus === 'all'
        ? [`${MEMBER})`, [project]]
        : [`${MEMBER} AND m.status = ?)`, [project, memberStatus]];

  switch (request.filters.visibility) {
    case 'public':
    case 'community':
      where.and('i.visibility = ?', request.filters.visibility);
      return;
    case 'private':
      where.and("i.visibility = 'private'");
      if (!caller.isAdmin) where.and(own[0], ...own[1]);
      return;
    case 'shared':
      where.and("i.visibility = 'shared'");
      if (!caller.isAdmin) where.and(`(${own[0]} OR ${sharedWithMe[0]})`, ...own[1], ...sharedWithMe[1]);
      return;
    case 'all':
      if (!caller.isAdmin) {
        where.and(
          `(${own[0]} OR i.visibility IN ('public', 'community') OR (i.visibility = 'shared' AND ${sharedWithMe[0]}))`,
          ...own[1],
          ...sharedWithMe[1],
        );
      }
      return;
    default:
      if (caller.isAdmin) where.and(`(i.visibility <> 'community' OR ${own[0]})`, ...own[1]);
      else {
        where.and(
          `(${own[0]} OR i.visibility = 'public' OR (i.visibility = 'shared' AND ${sharedWithMe[0]}))`,
          ...own[1],
          ...sharedWithMe[1],
        );
      }
  }
}
