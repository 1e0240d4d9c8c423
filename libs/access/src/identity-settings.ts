import type { AuthStrategy, IdentitySettings } from './caller';
import type { KeystoneSettings } from './keystone/keystone-client';

/** [keystone_authtoken] as the config loader gives it (keystonemiddleware's option names). */
export interface KeystoneAuthtokenOptions {
  readonly www_authenticate_uri: string | null;
  readonly auth_url: string | null;
  readonly auth_type: string;
  readonly username: string | null;
  readonly password: string | null;
  readonly project_name: string | null;
  readonly user_domain_name: string;
  readonly user_domain_id: string | null;
  readonly project_domain_name: string;
  readonly project_domain_id: string | null;
  readonly service_token_roles: readonly string[];
  readonly service_token_roles_required: boolean;
  readonly token_cache_time: number;
  readonly http_connect_timeout: number;
}

/** The part of the loaded configuration (GlimpseConfig) that says how callers are identified. */
export interface IdentityConfig {
  readonly DEFAULT: { readonly auth_strategy: AuthStrategy };
  readonly paste_deploy: { readonly flavor: string | null };
  readonly keystone_authtoken: KeystoneAuthtokenOptions;
}

/**
 * The identity settings of an app that answers callers. Glance's `[paste_deploy] flavor =
 * keystone…` means keystone as well; keystone needs the [keystone_authtoken] credentials, and a
 * missing one stops the start naming it.
 */
export function identitySettings(config: IdentityConfig): IdentitySettings {
  const flavor = config.paste_deploy.flavor?.trim().toLowerCase() ?? '';
  const strategy = flavor.startsWith('keystone') ? 'keystone' : config.DEFAULT.auth_strategy;
  if (strategy !== 'keystone') return { strategy };
  return { strategy, keystone: keystoneSettings(config.keystone_authtoken) };
}

function keystoneSettings(k: KeystoneAuthtokenOptions): KeystoneSettings {
  const { auth_url: authUrl, username, password, project_name: projectName } = k;
  if (authUrl === null || username === null || password === null || projectName === null) {
    const required = { auth_url: authUrl, username, password, project_name: projectName };
    const missing = Object.entries(required).filter(([, value]) => value === null).map(([name]) => `[keystone_authtoken] ${name}`);
    throw new Error(`auth_strategy = keystone needs ${missing.join(', ')}`);
  }
  if (!/^https?:\/\/[^/]/i.test(authUrl)) throw new Error(`[keystone_authtoken] auth_url=${authUrl}: not an http(s) URL`);
  const base = authUrl.replace(/\/+$/, '');
  return {
    authUrl: /\/v3$/.test(base) ? base : `${base}/v3`,
    wwwAuthenticateUri: k.www_authenticate_uri ?? authUrl,
    username,
    password,
    projectName,
    userDomain: k.user_domain_id ? { id: k.user_domain_id } : { name: k.user_domain_name },
    projectDomain: k.project_domain_id ? { id: k.project_domain_id } : { name: k.project_domain_name },
    serviceTokenRoles: k.service_token_roles.map((role) => role.toLowerCase()),
    serviceTokenRolesRequired: k.service_token_roles_required,
    tokenCacheTimeMs: k.token_cache_time * 1000,
    httpTimeoutMs: k.http_connect_timeout * 1000,
  };
}
