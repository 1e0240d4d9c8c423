/**
 * Glance's policy rules with their (new, project-scoped) defaults: glance/policies/*.py.
 * A policy file may override any of these; a name that is not here is an error.
 */
const ADMIN = 'role:admin';
const PROJECT_MEMBER = 'role:member and project_id:%(project_id)s';
const PROJECT_READER = 'role:reader and project_id:%(project_id)s';
const ADMIN_OR_PROJECT_MEMBER = `${ADMIN} or (${PROJECT_MEMBER})`;
const ADMIN_OR_PROJECT_READER = `${ADMIN} or (${PROJECT_READER})`;
const SHARED_OR_OWN =
  "project_id:%(project_id)s or project_id:%(member_id)s or 'community':%(visibility)s or 'public':%(visibility)s or 'shared':%(visibility)s";
const SERVICE_API = 'role:service or role:admin';

export const DEFAULT_RULES: Readonly<Record<string, string>> = {
  context_is_admin: ADMIN,
  default: '',
  add_image: `${ADMIN} or (${PROJECT_MEMBER} and project_id:%(owner)s)`,
  get_images: ADMIN_OR_PROJECT_READER,
  get_image: `${ADMIN} or (role:reader and (${SHARED_OR_OWN}))`,
  modify_image: ADMIN_OR_PROJECT_MEMBER,
  delete_image: ADMIN_OR_PROJECT_MEMBER,
  upload_image: ADMIN_OR_PROJECT_MEMBER,
  download_image: `${ADMIN} or (role:member and (${SHARED_OR_OWN}))`,
  download_from_store: `${ADMIN} or (role:member and (${SHARED_OR_OWN}))`,
  publicize_image: ADMIN,
  communitize_image: ADMIN_OR_PROJECT_MEMBER,
  deactivate: ADMIN_OR_PROJECT_MEMBER,
  reactivate: ADMIN_OR_PROJECT_MEMBER,
  copy_image: ADMIN,
  get_image_location: ADMIN_OR_PROJECT_READER,
  set_image_location: ADMIN_OR_PROJECT_MEMBER,
  delete_image_location: ADMIN,
  add_image_location: `${SERVICE_API} or (${PROJECT_MEMBER} and project_id:%(owner)s)`,
  fetch_image_location: SERVICE_API,
  add_member: ADMIN_OR_PROJECT_MEMBER,
  delete_member: ADMIN_OR_PROJECT_MEMBER,
  get_member: `${ADMIN} or (role:reader and (project_id:%(project_id)s or project_id:%(member_id)s))`,
  get_members: `${ADMIN} or (role:reader and (project_id:%(project_id)s or project_id:%(member_id)s))`,
  modify_member: `${ADMIN} or (role:member and project_id:%(member_id)s)`,
  manage_image_cache: ADMIN,
  cache_image: ADMIN,
  cache_list: ADMIN,
  cache_delete: ADMIN,
  cache_clean: ADMIN,
  cache_prune: ADMIN,
  list_cached_nodes: ADMIN,
  stores_info_detail: `${ADMIN} or role:service`,
  tasks_api_access: ADMIN,
  get_task: '',
  get_tasks: '',
  add_task: '',
  modify_task: '',
};
