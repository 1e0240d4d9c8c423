import type { GlimpseConfig } from '@glimpse/config';
import type { RemoteUrlPolicySettings } from '@glimpse/stores';
import { fileURLToPath } from 'node:url';
import { type AuthStrategy, type IdentitySettings, identitySettings } from '@glimpse/access';

export const API_SETTINGS = Symbol('API_SETTINGS');

/** The slice of the configuration the API's handlers use. */
export interface ApiSettings {
  authStrategy: AuthStrategy;
  /** How callers are identified (noauth, trusted headers, or Keystone tokens). */
  identity: IdentitySettings;
  publicEndpoint: string | null;
  imageSizeCap: number;
  limitParamDefault: number;
  apiLimitMax: number;
  hashingAlgorithm: 'sha512' | 'sha256';
  diskFormats: readonly string[];
  containerFormats: readonly string[];
  /** [image_format] require_image_format_match: a bare upload must be its disk_format and safe. */
  requireImageFormatMatch: boolean;
  policyFile: string | null;
  propertyProtectionFile: string | null;
  propertyProtectionFormat: 'roles' | 'policies';
  imageMemberQuota: number;
  imagePropertyQuota: number;
  imageTagQuota: number;
  userStorageQuota: number;
  delayedDelete: boolean;
  showMultipleLocations: boolean;
  showImageDirectUrl: boolean;
  imageLocationQuota: number;
  enabledImportMethods: readonly string[];
  /** Directory of staged and downloaded data (node_staging_uri). */
  stagingDir: string;
  importPlugins: readonly string[];
  conversionFormat: string;
  importLockTimeoutMs: number;
  /** abandoned_upload_timeout; 0: never. */
  abandonedUploadTimeoutMs: number;
  /** image_cache_dir is set: the cache agents' /v2/cache API is on. */
  cacheEnabled: boolean;
  /** A cache node unheard of for this long is left out (three heartbeats). */
  cacheNodeTimeoutSeconds: number;
  /** [import_filtering_opts]: what web-download may fetch. */
  remoteUrls: RemoteUrlPolicySettings;
  /** How long web-download waits for a connection or for data ([glance_store] http_store_timeout). */
  webDownloadTimeoutMs: number;
}

export function apiSettings(config: GlimpseConfig): ApiSettings {
  const identity = identitySettings(config);
  return {
    authStrategy: identity.strategy,
    identity,
    publicEndpoint: config.DEFAULT.public_endpoint,
    imageSizeCap: config.DEFAULT.image_size_cap,
    limitParamDefault: config.DEFAULT.limit_param_default,
    apiLimitMax: config.DEFAULT.api_limit_max,
    hashingAlgorithm: config.DEFAULT.hashing_algorithm,
    diskFormats: config.image_format.disk_formats,
    containerFormats: config.image_format.container_formats,
    requireImageFormatMatch: config.image_format.require_image_format_match,
    policyFile: config.oslo_policy.policy_file,
    propertyProtectionFile: config.DEFAULT.property_protection_file,
    propertyProtectionFormat: config.DEFAULT.property_protection_rule_format,
    imageMemberQuota: config.DEFAULT.image_member_quota,
    imagePropertyQuota: config.DEFAULT.image_property_quota,
    imageTagQuota: config.DEFAULT.image_tag_quota,
    userStorageQuota: config.DEFAULT.user_storage_quota,
    delayedDelete: config.DEFAULT.delayed_delete,
    showMultipleLocations: config.DEFAULT.show_multiple_locations,
    showImageDirectUrl: config.DEFAULT.show_image_direct_url,
    imageLocationQuota: config.DEFAULT.image_location_quota,
    enabledImportMethods: config.DEFAULT.enabled_import_methods,
    stagingDir: stagingDirOf(config.DEFAULT.node_staging_uri),
    importPlugins: config.image_import_opts.image_import_plugins,
    conversionFormat: config.image_conversion.output_format,
    importLockTimeoutMs: config.image_import_opts.import_lock_timeout * 1000,
    abandonedUploadTimeoutMs: config.DEFAULT.abandoned_upload_timeout * 1000,
    cacheEnabled: config.DEFAULT.image_cache_dir !== null,
    cacheNodeTimeoutSeconds: Math.max(15, config.cache_agent.cache_heartbeat_interval * 3),
    remoteUrls: remoteUrlSettings(config),
    webDownloadTimeoutMs: config.glance_store.http_store_timeout * 1000,
  };
}

/** node_staging_uri is a file:// URL, as in Glance; a relative path after file:// is allowed. */
function stagingDirOf(uri: string): string {
  if (!uri.startsWith('file://')) throw new Error(`node_staging_uri=${uri}: only file:// staging is supported`);
  return uri.startsWith('file:///') ? fileURLToPath(uri) : uri.slice('file://'.length);
}

function remoteUrlSettings(config: GlimpseConfig): RemoteUrlPolicySettings {
  const opts = config.import_filtering_opts;
  const ports = (list: readonly string[], name: string) =>
    list.map((port) => {
      if (!/^\d+$/.test(port) || Number(port) > 65535) throw new Error(`[import_filtering_opts] ${name}: "${port}" is not a port`);
      return Number(port);
    });
  return {
    allowedSchemes: opts.allowed_schemes,
    disallowedSchemes: opts.disallowed_schemes,
    allowedHosts: opts.allowed_hosts,
    disallowedHosts: opts.disallowed_hosts,
    allowedPorts: ports(opts.allowed_ports, 'allowed_ports'),
    disallowedPorts: ports(opts.disallowed_ports, 'disallowed_ports'),
    allowPrivateAddresses: false,
  };
}
