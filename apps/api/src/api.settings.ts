import type { GlimpseConfig } from '@glimpse/config';
import type { AuthStrategy } from './identity/caller';

export const API_SETTINGS = Symbol('API_SETTINGS');

/** The slice of the configuration the API's handlers use. */
export interface ApiSettings {
  authStrategy: AuthStrategy;
  publicEndpoint: string | null;
  imageSizeCap: number;
  limitParamDefault: number;
  apiLimitMax: number;
  hashingAlgorithm: 'sha512' | 'sha256';
  diskFormats: readonly string[];
  containerFormats: readonly string[];
  policyFile: string | null;
  propertyProtectionFile: string | null;
  propertyProtectionFormat: 'roles' | 'policies';
  imageMemberQuota: number;
  imagePropertyQuota: number;
  imageTagQuota: number;
  userStorageQuota: number;
  delayedDelete: boolean;
}

export function apiSettings(config: GlimpseConfig): ApiSettings {
  return {
    authStrategy: config.DEFAULT.auth_strategy,
    publicEndpoint: config.DEFAULT.public_endpoint,
    imageSizeCap: config.DEFAULT.image_size_cap,
    limitParamDefault: config.DEFAULT.limit_param_default,
    apiLimitMax: config.DEFAULT.api_limit_max,
    hashingAlgorithm: config.DEFAULT.hashing_algorithm,
    diskFormats: config.image_format.disk_formats,
    containerFormats: config.image_format.container_formats,
    policyFile: config.oslo_policy.policy_file,
    propertyProtectionFile: config.DEFAULT.property_protection_file,
    propertyProtectionFormat: config.DEFAULT.property_protection_rule_format,
    imageMemberQuota: config.DEFAULT.image_member_quota,
    imagePropertyQuota: config.DEFAULT.image_property_quota,
    imageTagQuota: config.DEFAULT.image_tag_quota,
    userStorageQuota: config.DEFAULT.user_storage_quota,
    delayedDelete: config.DEFAULT.delayed_delete,
  };
}
