import { GlimpseError } from '@glimpse/contracts';
import { KeystoneAuth, KeystoneUnauthorized, type TokenValidator } from './keystone-auth';
import type { KeystoneSettings, TokenIdentity } from './keystone-client';
import type { TokenVerdict } from './token-cache';

const SETTINGS: KeystoneSettings = {
  authUrl: 'http://keystone.test/v3',
  wwwAuthenticateUri: 'http://keystone.public/v3',
  username: 'glance',
  password: 'secret',
  projectName: 'service',
  userDomain: { name: 'Default' },
  projectDomain: { name: 'Default' },
  serviceTokenRoles: ['service'],
  serviceTokenRolesRequired: false,
  tokenCacheTimeMs: 300_000,
  httpTimeoutMs: 1000,
};
const NOW = Date.parse('2026-01-01T00:00:00Z');
const HOUR = 3_600_000;

function keystone(tokens: Record<string, TokenIdentity | 'down'>) {
  const asked: string[] = [];
  const client: TokenValidator = {
    validate: (token) => {
      asked.push(token);
      const known = tokens[token];
      if (known === 'down') return Promise.reject(new GlimpseError('unavailable', 'The server is currently unavailable. Please try again at a later time.'));
      const verdict: TokenVerdict<TokenIdentity> = known ? { valid: true, identity: known, expiresAt: NOW + HOUR } : { valid: false };
      return Promise.resolve(verdict);
    },
  };
  return { client, asked };
}

const demo: TokenIdentity = { userId: 'u-demo', projectId: 'p-demo', roles: ['member', 'reader'] };
const admin: TokenIdentity = { userId: 'u-admin', projectId: 'p-admin', roles: ['admin', 'member', 'reader'] };
const service: TokenIdentity = { userId: 'u-nova', projectId: 'p-service', roles: ['service'] };

async function refusal(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected a refusal');
    },
    (error: unknown) => error,
  );
}

describe('KeystoneAuth', () => {
  const auth = (tokens: Record<string, TokenIdentity | 'down'>, settings: Partial<KeystoneSettings> = {}) => {
    const fake = keystone(tokens);
    return { ...fake, auth: new KeystoneAuth({ ...SETTINGS, ...settings }, { client: fake.client, now: () => NOW }) };
  };

  it('makes the token’s user, project and roles the caller; admin is role admin', async () => {
    const { auth: a } = auth({ t1: demo, t2: admin });
    expect(await a.resolve({ 'x-auth-token': 't1' })).toEqual({ projectId: 'p-demo', userId: 'u-demo', roles: ['member', 'reader'], isAdmin: false });
    expect(await a.resolve({ 'x-auth-token': 't2' })).toMatchObject({ projectId: 'p-admin', isAdmin: true });
  });

  it.each([{}, { 'x-auth-token': '' }, { 'x-auth-token': 'forged' }])('refuses %p with 401 and the Keystone challenge', async (headers) => {
    const { auth: a } = auth({ t1: demo });
    const error = await refusal(a.resolve({ 'x-project-id': 'p-demo', 'x-roles': 'admin', 'x-identity-status': 'Confirmed', ...headers }));
    expect(error).toBeInstanceOf(KeystoneUnauthorized);
    expect(error).toMatchObject({ code: 'unauthorized', wwwAuthenticate: 'Keystone uri="http://keystone.public/v3"' });
  });

  it.each(['tok\u00e9n', 'a b', 'x'.repeat(8193)])('refuses a token no Keystone issues (%#) without asking', async (token) => {
    const { auth: a, asked } = auth({ [token]: demo });
    expect(await refusal(a.resolve({ 'x-auth-token': token }))).toBeInstanceOf(KeystoneUnauthorized);
    expect(asked).toEqual([]);
  });

  it('passes an unreachable Keystone on as unavailable and asks again next time', async () => {
    const { auth: a, asked } = auth({ t1: 'down' });
    expect(await refusal(a.resolve({ 'x-auth-token': 't1' }))).toMatchObject({ code: 'unavailable' });
    expect(await refusal(a.resolve({ 'x-auth-token': 't1' }))).toMatchObject({ code: 'unavailable' });
    expect(asked).toEqual(['t1', 't1']);
  });

  it('asks Keystone once per token within token_cache_time', async () => {
    const { auth: a, asked } = auth({ t1: demo });
    await a.resolve({ 'x-auth-token': 't1' });
    await a.resolve({ 'x-auth-token': 't1' });
    expect(asked).toEqual(['t1']);
  });

  it('refuses an invalid X-Service-Token and, with service_token_roles_required, one without a service role', async () => {
    const { auth: lenient } = auth({ t1: demo, svc: service, user2: demo });
    expect(await lenient.resolve({ 'x-auth-token': 't1', 'x-service-token': 'user2' })).toMatchObject({ projectId: 'p-demo' });
    expect(await refusal(lenient.resolve({ 'x-auth-token': 't1', 'x-service-token': 'forged' }))).toBeInstanceOf(KeystoneUnauthorized);
    const { auth: strict } = auth({ t1: demo, svc: service, user2: demo }, { serviceTokenRolesRequired: true });
    expect(await strict.resolve({ 'x-auth-token': 't1', 'x-service-token': 'svc' })).toMatchObject({ projectId: 'p-demo', userId: 'u-demo' });
    expect(await refusal(strict.resolve({ 'x-auth-token': 't1', 'x-service-token': 'user2' }))).toBeInstanceOf(KeystoneUnauthorized);
  });
});
