import { type IdentityConfig, type KeystoneAuthtokenOptions, identitySettings } from './identity-settings';

/** keystonemiddleware's defaults, as libs/config declares them. */
const AUTHTOKEN: KeystoneAuthtokenOptions = {
  www_authenticate_uri: null,
  auth_url: null,
  auth_type: 'password',
  username: null,
  password: null,
  project_name: null,
  user_domain_name: 'Default',
  user_domain_id: null,
  project_domain_name: 'Default',
  project_domain_id: null,
  service_token_roles: ['service'],
  service_token_roles_required: false,
  token_cache_time: 300,
  http_connect_timeout: 30,
};
const CREDENTIALS = { auth_url: 'http://127.0.0.1:15000', username: 'glance', password: 'secret', project_name: 'service' };
const options = (
  { authStrategy = 'keystone', flavor = null }: { authStrategy?: IdentityConfig['DEFAULT']['auth_strategy']; flavor?: string | null } = {},
  authtoken: Partial<KeystoneAuthtokenOptions> = {},
): IdentityConfig => ({
  DEFAULT: { auth_strategy: authStrategy },
  paste_deploy: { flavor },
  keystone_authtoken: { ...AUTHTOKEN, ...CREDENTIALS, ...authtoken },
});

describe('identitySettings', () => {
  it('keeps noauth and trusted as they are', () => {
    expect(identitySettings(options({ authStrategy: 'noauth' }))).toEqual({ strategy: 'noauth' });
    expect(identitySettings(options({ authStrategy: 'trusted' }))).toEqual({ strategy: 'trusted' });
  });

  it('reads [keystone_authtoken] with keystonemiddleware’s defaults', () => {
    expect(identitySettings(options())).toEqual({
      strategy: 'keystone',
      keystone: {
        authUrl: 'http://127.0.0.1:15000/v3',
        wwwAuthenticateUri: 'http://127.0.0.1:15000',
        username: 'glance',
        password: 'secret',
        projectName: 'service',
        userDomain: { name: 'Default' },
        projectDomain: { name: 'Default' },
        serviceTokenRoles: ['service'],
        serviceTokenRolesRequired: false,
        tokenCacheTimeMs: 300_000,
        httpTimeoutMs: 30_000,
      },
    });
    const tuned = identitySettings(
      options({}, { auth_url: 'http://ks/v3/', www_authenticate_uri: 'https://ks.example/v3', user_domain_id: 'default', token_cache_time: 2 }),
    );
    expect(tuned).toMatchObject({ keystone: { authUrl: 'http://ks/v3', wwwAuthenticateUri: 'https://ks.example/v3', userDomain: { id: 'default' }, tokenCacheTimeMs: 2000 } });
  });

  it('takes Glance’s [paste_deploy] flavor = keystone for auth_strategy = keystone', () => {
    expect(identitySettings(options({ authStrategy: 'noauth', flavor: 'keystone+cachemanagement' })).strategy).toBe('keystone');
    expect(identitySettings(options({ authStrategy: 'trusted', flavor: '' })).strategy).toBe('trusted');
  });

  it('names every missing credential, and a bad auth_url', () => {
    expect(() => identitySettings(options({}, { auth_url: null, password: null, project_name: null }))).toThrow(
      'auth_strategy = keystone needs [keystone_authtoken] auth_url, [keystone_authtoken] password, [keystone_authtoken] project_name',
    );
    expect(() => identitySettings(options({}, { auth_url: 'keystone:5000' }))).toThrow('[keystone_authtoken] auth_url=keystone:5000: not an http(s) URL');
  });
});
