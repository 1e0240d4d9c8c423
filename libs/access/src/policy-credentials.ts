import type { CallerContext } from '@glimpse/contracts';
import type { Credentials } from './policy-expression';

/** noauth's admin context has no roles; it is given admin so that the default rules let it in. */
export function credentials(caller: CallerContext): Credentials {
  const roles = caller.isAdmin && !caller.roles.includes('admin') ? [...caller.roles, 'admin'] : caller.roles;
  return { roles, project_id: caller.projectId, user_id: caller.userId, is_admin: caller.isAdmin };
}
