import { join } from 'node:path';
import { requireService } from './services';
import { readEnvFile } from './env-file';

/** The real Keystone of scripts/keystone (Zed, fernet tokens) with its demo projects and users. */
export const KEYSTONE = { name: 'OpenStack Keystone (scripts/keystone/start.sh)', host: '127.0.0.1', port: Number(process.env['KEYSTONE_PORT'] ?? 15000) };

const START = 'bash scripts/keystone/start.sh (scripts/services.sh starts it too)';

export type KeystoneUser = 'admin' | 'service' | 'demo' | 'reader' | 'alt';

export interface KeystoneEnv {
  authUrl: string;
  user(who: KeystoneUser): { name: string; password: string; project: string; projectId: string };
}

const envFile = (path: string) => readEnvFile(path, START);

const PROJECT_ID_KEY: Record<KeystoneUser, string> = {
  admin: 'KEYSTONE_ADMIN_PROJECT_ID',
  service: 'KEYSTONE_SERVICE_PROJECT_ID',
  demo: 'KEYSTONE_DEMO_PROJECT_ID',
  reader: 'KEYSTONE_DEMO_PROJECT_ID',
  alt: 'KEYSTONE_ALT_DEMO_PROJECT_ID',
};

/** Fails, naming Keystone, when it does not answer; else its endpoint and demo credentials. */
export async function requireKeystone(): Promise<KeystoneEnv> {
  await requireService(KEYSTONE);
  const env = envFile(join(process.env['KEYSTONE_DIR'] ?? '/tmp/keystone-svc', 'env'));
  const get = (key: string) => {
    const value = env[key];
    if (value === undefined) throw new Error(`Keystone's env file has no ${key}: restart it with ${START}`);
    return value;
  };
  return {
    authUrl: get('KEYSTONE_AUTH_URL'),
    user: (who) => {
      const prefix = `KEYSTONE_${who.toUpperCase()}`;
      return { name: get(`${prefix}_USER`), password: get(`${prefix}_PASSWORD`), project: get(`${prefix}_PROJECT`), projectId: get(PROJECT_ID_KEY[who]) };
    },
  };
}

/** A project-scoped token of `who` (POST /v3/auth/tokens with the password method). */
export async function issueToken(keystone: KeystoneEnv, who: KeystoneUser): Promise<string> {
  const user = keystone.user(who);
  const res = await fetch(`${keystone.authUrl}/auth/tokens?nocatalog`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({
      auth: {
        identity: { methods: ['password'], password: { user: { name: user.name, domain: { id: 'default' }, password: user.password } } },
        scope: { project: { name: user.project, domain: { id: 'default' } } },
      },
    }),
  });
  const token = res.headers.get('x-subject-token');
  if (res.status !== 201 || !token) throw new Error(`Keystone refused the login of ${user.name}: HTTP ${res.status} ${await res.text()}`);
  await res.body?.cancel();
  return token;
}

/** DELETE /v3/auth/tokens: the token is revoked at once in Keystone. */
export async function revokeToken(keystone: KeystoneEnv, token: string): Promise<void> {
  const res = await fetch(`${keystone.authUrl}/auth/tokens`, { method: 'DELETE', headers: { 'X-Auth-Token': token, 'X-Subject-Token': token } });
  if (res.status !== 204) throw new Error(`Keystone did not revoke the token: HTTP ${res.status} ${await res.text()}`);
}

/** The [keystone_authtoken] of a Glimpse that validates tokens against this Keystone, as GLIMPSE_* variables. */
export function keystoneAuthEnv(keystone: KeystoneEnv, overrides: Record<string, string> = {}): Record<string, string> {
  const service = keystone.user('service');
  return {
    GLIMPSE_AUTH_STRATEGY: 'keystone',
    GLIMPSE_AUTH_URL: keystone.authUrl,
    GLIMPSE_USERNAME: service.name,
    GLIMPSE_PASSWORD: service.password,
    GLIMPSE_PROJECT_NAME: service.project,
    ...overrides,
  };
}
