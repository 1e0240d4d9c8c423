import { DEFAULT_CONTAINER_FORMATS, DEFAULT_DISK_FORMATS } from '@glimpse/contracts';
import { bool, int, list, oneOf, optionalStr, pattern, size, str } from './option';

const TIB = 1024 ** 4;

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
      ['noauth', 'trusted'] as const,
      'noauth',
      'noauth: every caller is an admin with no project. trusted: identity from the X-Identity-Status, X-Project-Id, X-User-Id and X-Roles headers set by an authenticating proxy.',
    ),
    transport: oneOf(
      ['in-process', 'nats'] as const,
      'in-process',
      'How the apps talk: in-process (all apps in one process) or nats.',
    ),
    public_endpoint: optionalStr('Public URL of the API, used in the versions document instead of the request host.'),
    image_size_cap: int(TIB, 'Largest image, in bytes, that may be uploaded.', { min: 1 }),
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
    wakeup_time: int(300, 'Seconds between two scrubber passes over the registry.', { min: 1 }),
    image_member_quota: int(128, 'Members an image may have (negative: unlimited).'),
    image_property_quota: int(128, 'Custom properties an image may have (negative: unlimited).'),
    image_tag_quota: int(128, 'Tags an image may have (negative: unlimited).'),
    user_storage_quota: size('0', "Bytes of image data a project may store, counted across its images; 0 is unlimited. Accepts a unit: 10GB, 500MB, 1TB."),
    debug: bool(false, 'Log at debug level.'),
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
  oslo_policy: {
    policy_file: optionalStr("Policy file (YAML or JSON) laid over Glance's default rules; re-read when it changes."),
  },
  glance_store: {
    default_store: oneOf(['file'] as const, 'file', 'Store that new image data is written to.'),
    filesystem_store_datadir: str('$data_dir/images', 'Directory of the filesystem store.'),
  },
  image_format: {
    disk_formats: list(DEFAULT_DISK_FORMATS, 'Disk formats an image may declare.'),
    container_formats: list(DEFAULT_CONTAINER_FORMATS, 'Container formats an image may declare.'),
  },
  registry: {
    registry_health_port: int(9191, 'Port of the registry health endpoint in cluster mode (0 disables it).', { min: 0, max: 65535 }),
  },
  cache_agent: {
    cache_agent_port: int(9296, 'Port of the cache agent in cluster mode (0 disables it).', { min: 0, max: 65535 }),
  },
  scrubber: {
    scrubber_health_port: int(9297, 'Port of the scrubber health endpoint in cluster mode (0 disables it).', { min: 0, max: 65535 }),
  },
  pruner: {
    pruner_health_port: int(9298, 'Port of the pruner health endpoint in cluster mode (0 disables it).', { min: 0, max: 65535 }),
  },
} as const;

export type OptionTable = typeof OPTIONS;
export type SectionName = keyof OptionTable;

type ValueOf<S> = S extends { parse(raw: string): infer T } ? T : never;

export type GlimpseConfig = {
  readonly [S in SectionName]: { readonly [O in keyof OptionTable[S]]: ValueOf<OptionTable[S][O]> };
};
