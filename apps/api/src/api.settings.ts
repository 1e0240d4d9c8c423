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
  };
}
