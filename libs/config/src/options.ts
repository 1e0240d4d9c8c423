import { DEFAULT_CONTAINER_FORMATS, DEFAULT_DISK_FORMATS } from '@glimpse/contracts';
import { bool, int, list, num, oneOf, optionalStr, pattern, size, str } from './option';

const TIB = 1024 ** 4;

/**
 * The options of one store. In single-store mode they live in [glance_store]; with
 * enabled_backends each backend has its own section ([fast], [cold], …) holding them.
 */
export const STORE_OPTIONS = {
  store_description: optionalStr('What this store is, shown by GET /v2/info/stores.'),
  weight: int(0, 'Preference of this store when an image has locations in several (highest first).'),
  store_max_concurrency: int(64, 'Operations this store runs at once; more wait for a free slot.', { min: 1 }),
  filesystem_store_datadir: str('$data_dir/images', 'Directory of a filesystem store.'),
  s3_store_host: optionalStr('S3 endpoint: http://host:port, https://host, or a bare host (https).'),
  s3_store_region_name: str('us-east-1', 'S3 region the requests are signed for.'),
  s3_store_access_key: optionalStr('S3 access key.'),
  s3_store_secret_key: { ...optionalStr('S3 secret key.'), secret: true },
  s3_store_bucket: optionalStr('S3 bucket images are written to.'),
  s3_store_create_bucket_on_put: bool(false, 'Create the S3 bucket when it does not exist.'),
  s3_store_bucket_url_format: oneOf(['auto', 'path', 'virtual'] as const, 'auto', 'S3 addressing: path (host/bucket), virtual (bucket.host), or auto.'),
  s3_store_large_object_size: int(100, 'MiB from which an S3 upload is multipart.', { min: 1 }),
  s3_store_large_object_chunk_size: int(10, 'MiB per part of a multipart S3 upload.', { min: 5 }),
  s3_store_thread_pools: int(10, 'Parts of a multipart S3 upload sent at once.', { min: 1 }),
  swift_store_auth_address: optionalStr('Swift auth endpoint: tempauth (…/auth/v1.0) or Keystone v3 (…/v3).'),
  swift_store_auth_version: oneOf(['1', '3'] as const, '3', 'Swift auth protocol: 1 (tempauth) or 3 (Keystone v3).'),
  swift_store_user: optionalStr('Swift user: project:user (Keystone) or account:user (tempauth).'),
  swift_store_key: { ...optionalStr('Swift password or key.'), secret: true },
  swift_store_user_domain_id: str('default', 'Keystone domain of the Swift user.'),
  swift_store_project_domain_id: str('default', 'Keystone domain of the Swift project.'),
  swift_store_container: str('glance', 'Swift container images are written to.'),
  swift_store_create_container_on_put: bool(false, 'Create the Swift container when it does not exist.'),
  swift_store_large_object_size: int(5120, 'MB from which a Swift upload is a static large object.', { min: 1 }),
  swift_store_large_object_chunk_size: int(200, 'MB per segment of a Swift large object.', { min: 1 }),
  swift_store_region: optionalStr('Region of the object-store endpoint in the Keystone catalog.'),
  swift_store_endpoint_type: oneOf(['publicURL', 'internalURL', 'adminURL'] as const, 'publicURL', 'Interface of the object-store endpoint in the Keystone catalog.'),
  swift_store_endpoint: optionalStr('Swift storage URL to use instead of the one from the catalog.'),
  swift_store_service_type: str('object-store', 'Service type of Swift in the Keystone catalog.'),
  http_store_timeout: int(60, 'Seconds an http store waits for a connection or for data.', { min: 1 }),
} as const;

export type StoreOptionName = keyof typeof STORE_OPTIONS;
export type StoreOptionValues = { readonly [O in StoreOptionName]: ValueOf<(typeof STORE_OPTIONS)[O]> };

/**
 * Every option Glimpse reads, in Glance's ini layout. Option names are unique across sections,
 * so each one is also settable as GLIMPSE_<NAME> in the environment.
 * `$name` in a value refers to another option (oslo.config style).
 */
export const OPTIONS = {
  DEFAULT: {
    bind_host: str('127.0.0.1', 'Address the Images API listens on.'),
    bind_port: int(9292, 'Port the Images API listens on (0 picks a free port).', { min: 0, max: 65535 }),
    data_dir: str('./data', 'Directory for the embedded database and the default filesystem store.'),
    auth_strategy: oneOf(
      ['noauth', 'trusted', 'keystone'] as const,
      'noauth',
      'noauth: every caller is an admin with no project. trusted: identity from the X-Identity-Status, X-Project-Id, X-User-Id and X-Roles headers set by an authenticating proxy. keystone: Glimpse validates X-Auth-Token against Keystone ([keystone_authtoken]).',
    ),
    transport: oneOf(
      ['in-process', 'nats'] as const,
      'in-process',
      'How the apps talk: in-process (all apps in one process) or nats.',
    ),
    public_endpoint: optionalStr('Public URL of the API, used in the versions document instead of the request host.'),
    image_size_cap: int(TIB, 'Largest image, in bytes, that may be uploaded.', { min: 1 }),
    abandoned_upload_timeout: int(
      600,
      "Seconds an upload may go without a heartbeat from the API receiving its data (that API died mid-upload): a saving image then becomes killed and what the upload left in the stores is removed, a stage that broke off goes back to queued and its partial staged file is removed; 0 leaves them, as Glance does. Glimpse's own.",
      { min: 0 },
    ),
    limit_param_default: int(25, 'Page size of GET /v2/images when the request gives no limit.', { min: 1 }),
    api_limit_max: int(1000, 'Largest page size a client may ask for.', { min: 1 }),
    hashing_algorithm: oneOf(['sha512', 'sha256'] as const, 'sha512', 'Algorithm of os_hash_value.'),
    property_protection_file: optionalStr('Ini file of property protections: sections are regular expressions on property names, keys create/read/update/delete.'),
    property_protection_rule_format: oneOf(
      ['roles', 'policies'] as const,
      'roles',
      'roles: each key lists roles (@ everyone, ! nobody). policies: each key names a rule of the policy file.',
    ),
    delayed_delete: bool(false, 'Keep the data of a deleted image (pending_delete) until the scrubber removes it after scrub_time.'),
    scrub_time: int(0, 'Seconds a pending_delete image keeps its data before the scrubber removes it.', { min: 0 }),
    scrub_pool_size: int(1, 'Images the scrubber deletes in parallel.', { min: 1 }),
    wakeup_time: num(300, 'Seconds between two scrubber passes over the registry (fractions allowed, e.g. 0.5).', { min: 0.001 }),
    image_member_quota: int(128, 'Members an image may have (negative: unlimited).'),
    image_property_quota: int(128, 'Custom properties an image may have (negative: unlimited).'),
    image_tag_quota: int(128, 'Tags an image may have (negative: unlimited).'),
    user_storage_quota: size('0', "Bytes of image data a project may store, counted across its images; 0 is unlimited. Accepts a unit: 10GB, 500MB, 1TB."),
    enabled_backends: list([], 'Multi-store: the stores as id:type pairs (types file, s3, swift, http); each id has its own [id] section.'),
    show_image_direct_url: bool(false, 'Show direct_url, the location of the image data, in image bodies.'),
    show_multiple_locations: bool(false, "Show an image's locations and let clients add and remove them."),
    image_location_quota: int(10, 'Locations an image may have (negative: unlimited).'),
    enabled_import_methods: list(['glance-direct', 'web-download', 'copy-image'], 'Interoperable import methods offered (glance-direct, web-download, copy-image).'),
    image_cache_dir: optionalStr('Directory of the image cache of each cache agent; unset, the cache is off (the /v2/cache API answers 404, as Glance).'),
    image_cache_driver: oneOf(['sqlite', 'xattr'] as const, 'sqlite', 'Where the cache index lives: sqlite (image_cache_sqlite_db in image_cache_dir) or xattr (user extended attributes on the cached files).'),
    image_cache_sqlite_db: str('cache.db', 'File name of the sqlite cache index, in image_cache_dir.'),
    image_cache_max_size: size('10737418240', 'Bytes each node keeps cached; the pruner removes the least recently accessed images beyond it.'),
    image_cache_stall_time: int(86400, 'Seconds after which an incomplete cache file is removed by the cleaner.', { min: 0 }),
    node_staging_uri: str('file://$data_dir/staging', 'Where staged and downloaded image data waits for import (a file:// directory).'),
    debug: bool(false, 'Log at debug level (the same as log_level = debug).'),
    log_level: oneOf(['trace', 'debug', 'info', 'warn', 'error', 'fatal'] as const, 'info', 'Lowest level written to the JSON log on stdout (GLIMPSE_LOG_LEVEL); debug adds a line per HTTP request.'),
  },
  database: {
    connection: str(
      'sqlite:///$data_dir/glimpse.sqlite',
      'Database URL: sqlite:///<path> (embedded) or mysql://user:password@host:port/database (MySQL, MariaDB).',
      { secret: true },
    ),
    auto_migrate: bool(true, 'Run pending schema migrations when the registry starts (otherwise: npm run db:migrate).'),
    max_pool_size: int(10, 'Connections the registry keeps open to MySQL.', { min: 1 }),
  },
  bus: {
    nats_url: str('nats://127.0.0.1:4222', 'NATS server(s), comma-separated, used when transport = nats.'),
    bus_request_timeout: int(10000, 'Milliseconds to wait for a reply on the bus.', { min: 1 }),
    bus_namespace: pattern(
      'glimpse',
      /^[A-Za-z0-9_-]+$/,
      'First word of every NATS subject and queue group, so that deployments sharing a NATS stay apart.',
    ),
  },
  paste_deploy: {
    flavor: optionalStr("Glance's pipeline flavor: one starting with keystone (keystone, keystone+cachemanagement) means auth_strategy = keystone."),
  },
  keystone_authtoken: {
    www_authenticate_uri: optionalStr('Keystone URL sent to clients in WWW-Authenticate on a 401 (default: auth_url).'),
    auth_url: optionalStr('Keystone identity API that validates tokens, e.g. http://keystone:5000/v3 (/v3 is added when missing).'),
    auth_type: oneOf(['password', 'v3password'] as const, 'password', 'How Glimpse logs in to Keystone to validate tokens.'),
    username: optionalStr('Service user that validates tokens (needs the service role, or reader on the system).'),
    password: { ...optionalStr('Password of the service user.'), secret: true },
    project_name: optionalStr('Project the service token is scoped to.'),
    user_domain_name: str('Default', 'Domain of the service user (when user_domain_id is unset).'),
    user_domain_id: optionalStr('Domain id of the service user; wins over user_domain_name.'),
    project_domain_name: str('Default', 'Domain of the service project (when project_domain_id is unset).'),
    project_domain_id: optionalStr('Domain id of the service project; wins over project_domain_name.'),
    service_token_roles: list(['service'], 'Roles an X-Service-Token must carry to count as a service token.'),
    service_token_roles_required: bool(false, 'Refuse (401) an X-Service-Token without one of service_token_roles.'),
    token_cache_time: int(300, 'Seconds a validated token is trusted without asking Keystone again (never past its expiry); 0 asks every time.', { min: 0 }),
    http_connect_timeout: int(30, 'Seconds to wait for Keystone before answering 503.', { min: 1 }),
  },
  oslo_policy: {
    policy_file: optionalStr("Policy file (YAML or JSON) laid over Glance's default rules; re-read when it changes."),
  },
  glance_store: {
    stores: list(['file', 'http'], 'Single-store mode: the store types enabled (file, s3, swift, http).'),
    default_store: oneOf(['file', 's3', 'swift'] as const, 'file', 'Single-store mode: the store new image data is written to.'),
    default_backend: optionalStr('Multi-store: the id of the backend new image data is written to.'),
    ...STORE_OPTIONS,
  },
  import_filtering_opts: {
    allowed_schemes: list(['http', 'https'], 'URL schemes web-download may fetch; when set, disallowed_schemes is ignored.'),
    disallowed_schemes: list([], 'URL schemes web-download refuses.'),
    allowed_hosts: list([], 'Hosts web-download may fetch (these may be private addresses); when set, disallowed_hosts is ignored.'),
    disallowed_hosts: list([], 'Hosts web-download refuses.'),
    allowed_ports: list(['80', '443'], 'Ports web-download may fetch; when set, disallowed_ports is ignored.'),
    disallowed_ports: list([], 'Ports web-download refuses.'),
  },
  image_import_opts: {
    image_import_plugins: list([], 'Plugins run on imported data before it is stored (image_conversion).'),
    import_lock_timeout: int(3600, 'Seconds after which an import whose worker stopped reporting is taken over by another.', { min: 1 }),
  },
  image_conversion: {
    output_format: oneOf(['raw', 'qcow2', 'vmdk', 'vhd', 'vhdx', 'vdi'] as const, 'raw', 'Disk format the image_conversion plugin converts imported images to.'),
  },
  image_format: {
    disk_formats: list(DEFAULT_DISK_FORMATS, 'Disk formats an image may declare.'),
    container_formats: list(DEFAULT_CONTAINER_FORMATS, 'Container formats an image may declare.'),
    require_image_format_match: bool(
      true,
      'Refuse (415) an upload with container_format bare whose content is not its disk_format, or is unsafe (a qcow2 backing or data file, a vmdk extent); false only logs it, as Glance 25 does.',
    ),
  },
  registry: {
    registry_health_port: int(9191, 'Port of the registry health endpoint in cluster mode (0 disables it).', { min: 0, max: 65535 }),
  },
  cache_agent: {
    cache_agent_port: int(9296, 'Port the cache agent serves images and /healthcheck on (0 picks a free one).', { min: 0, max: 65535 }),
    cache_node_name: optionalStr('Name of this node on the bus ([A-Za-z0-9_-], other characters become -); the host name by default.'),
    cache_agent_url: optionalStr('URL compute nodes reach this agent at, as GET /v2/cache/nodes lists it; http://<bind_host>:<cache_agent_port> by default.'),
    cache_prefetch_concurrency: int(2, 'Images one agent prefetches at once.', { min: 1 }),
    cache_verify_interval: int(3600, 'Seconds between two background passes that re-hash every cached file (0: never).', { min: 0 }),
    cache_heartbeat_interval: int(5, 'Seconds between two heartbeats of an agent on the bus.', { min: 1 }),
    cache_reconcile_interval: int(60, 'Seconds between two checks of the cached images against the registry (deleted or deactivated ones are evicted).', { min: 1 }),
  },
  scrubber: {
    scrubber_health_port: int(9297, 'Port of the scrubber health endpoint (GET /healthcheck, GET /status) in cluster mode (0 disables it).', { min: 0, max: 65535 }),
    scrub_claim_timeout: num(600, 'Seconds after which an image a scrubber claimed and did not finish (it died) may be taken over by another.', { min: 0.1 }),
    scrub_max_attempts: int(10, 'Attempts of a queued scrub job whose store keeps failing before the queue drops it (the wakeup_time scan still retries).', { min: 1 }),
  },
  pruner: {
    pruner_health_port: int(9298, 'Port of the pruner health endpoint in cluster mode (0 disables it).', { min: 0, max: 65535 }),
    image_cache_prune_interval: int(600, 'Seconds between two prunes the pruner asks every agent for (0: never).', { min: 0 }),
    image_cache_clean_interval: int(3600, 'Seconds between two cleans the pruner asks every agent for (0: never).', { min: 0 }),
  },
} as const;

export type OptionTable = typeof OPTIONS;
export type SectionName = keyof OptionTable;

type ValueOf<S> = S extends { parse(raw: string): infer T } ? T : never;

/** One enabled store: from [glance_store] in single-store mode, from its own section otherwise. */
export interface BackendConfig {
  readonly id: string;
  readonly type: string;
  readonly options: StoreOptionValues;
}

export type GlimpseConfig = {
  readonly [S in SectionName]: { readonly [O in keyof OptionTable[S]]: ValueOf<OptionTable[S][O]> };
} & {
  /** Whether enabled_backends is set (Glance's multi-store); then locations carry their store id. */
  readonly multiStore: boolean;
  readonly backends: readonly BackendConfig[];
};
