import { KeystoneClient, type KeystoneSettings } from './keystone-client';

const SETTINGS: KeystoneSettings = {
  authUrl: 'http://keystone.test/v3',
  wwwAuthenticateUri: 'http://keystone.test/v3',
  username: 'glance',
  password: 'secret',
  projectName: 'service',
  userDomain: { name: 'Default' },
  projectDomain: { id: 'default' },
  serviceTokenRoles: ['service'],
  serviceTokenRolesRequired: false,
  tokenCacheTimeMs: 300_000,
  httpTimeoutMs: 1000,
};
const HOUR = 3_600_000;

/** A Keystone in a function: issues service tokens, validates the users' tokens it knows. */
function fakeKeystone(now: () => number) {
  const calls: string[] = [];
  const state = {
    serviceTokens: new Set<string>(),
    serviceLifetimeMs: HOUR,
    loginStatus: 201,
    validateStatus: null as number | null,
    users: new Map([['user-token', { user: { id: 'u1' }, project: { id: 'p1' }, roles: [{ name: 'Member' }, { name: 'reader' }] }]]),
    issued: 0,
    down: false,
  };
  const send = (async (input: string | URL | Request, init?: RequestInit) => {
    const url = String(input);
    const headers = new Headers(init?.headers);
    calls.push(`${init?.method} ${url.replace(SETTINGS.authUrl, '')}`);
    if (state.down) throw new TypeError('fetch failed', { cause: { code: 'ECONNREFUSED' } });
    if (init?.method === 'POST') {
      const body = JSON.parse(String(init.body));
      expect(body.auth.identity.password.user).toEqual({ name: 'glance', domain: { name: 'Default' }, password: 'secret' });
      expect(body.auth.scope.project).toEqual({ name: 'service', domain: { id: 'default' } });
      if (state.loginStatus !== 201) return new Response('{"error": {"code": 401}}', { status: state.loginStatus });
      const token = `service-${++state.issued}`;
      state.serviceTokens.add(token);
      const expires_at = new Date(now() + state.serviceLifetimeMs).toISOString();
      return new Response(JSON.stringify({ token: { expires_at } }), { status: 201, headers: { 'X-Subject-Token': token } });
    }
    if (state.validateStatus) return new Response('trouble', { status: state.validateStatus });
    if (!state.serviceTokens.has(headers.get('x-auth-token') ?? '')) return new Response('{}', { status: 401 });
    const user = state.users.get(headers.get('x-subject-token') ?? '');
    if (!user) return new Response('{"error": {"code": 404}}', { status: 404 });
    return new Response(JSON.stringify({ token: { ...user, expires_at: new Date(now() + HOUR).toISOString() } }), { status: 200 });
  }) as typeof fetch;
  return { calls, state, send };
}

describe('KeystoneClient', () => {
  let now: number;
  const clock = () => now;
  let logs: string[];
  beforeEach(() => {
    now = Date.parse('2026-01-01T00:00:00Z');
    logs = [];
  });
  const client = (keystone: ReturnType<typeof fakeKeystone>) => new KeystoneClient(SETTINGS, (m) => logs.push(m), clock, keystone.send);

  it('validates with one service token, reused until shortly before it expires', async () => {
    const keystone = fakeKeystone(clock);
    const c = client(keystone);
    expect(await c.validate('user-token')).toEqual({
      valid: true,
      expiresAt: now + HOUR,
      identity: { userId: 'u1', projectId: 'p1', roles: ['member', 'reader'] },
    });
    expect(await c.validate('user-token')).toMatchObject({ valid: true });
    expect(keystone.calls).toEqual(['POST /auth/tokens?nocatalog', 'GET /auth/tokens?nocatalog', 'GET /auth/tokens?nocatalog']);
    now += HOUR - 59_000;
    await c.validate('user-token');
    expect(keystone.state.issued).toBe(2);
  });

  it('says invalid for a token Keystone does not know (404)', async () => {
    expect(await client(fakeKeystone(clock)).validate('forged')).toEqual({ valid: false });
  });

  it('logs in again once when Keystone no longer takes its service token', async () => {
    const keystone = fakeKeystone(clock);
    const c = client(keystone);
    await c.validate('user-token');
    keystone.state.serviceTokens.clear();
    expect(await c.validate('user-token')).toMatchObject({ valid: true });
    expect(keystone.state.issued).toBe(2);
  });

  it('shares one login between overlapping validations', async () => {
    const keystone = fakeKeystone(clock);
    const c = client(keystone);
    await Promise.all([c.validate('user-token'), c.validate('user-token'), c.validate('forged')]);
    expect(keystone.state.issued).toBe(1);
  });

  it.each([
    ['Keystone is unreachable', (k: ReturnType<typeof fakeKeystone>) => (k.state.down = true), /Keystone is unreachable \(ECONNREFUSED\)/],
    ['the service login is refused', (k: ReturnType<typeof fakeKeystone>) => (k.state.loginStatus = 401), /refused the login of username=glance project_name=service \(HTTP 401\)/],
    ['validation fails (500)', (k: ReturnType<typeof fakeKeystone>) => (k.state.validateStatus = 500), /answered HTTP 500: trouble/],
    ['the service user may not validate (403)', (k: ReturnType<typeof fakeKeystone>) => (k.state.validateStatus = 403), /answered HTTP 403/],
  ])('is unavailable (503) when %s, and logs why without the password', async (_case, breakIt, logged) => {
    const keystone = fakeKeystone(clock);
    breakIt(keystone);
    await expect(client(keystone).validate('user-token')).rejects.toMatchObject({ code: 'unavailable' });
    expect(logs.join('\n')).toMatch(logged);
    expect(logs.join('\n')).not.toContain('secret');
  });

  it('is unavailable, after one fresh login, when Keystone refuses every service token', async () => {
    const keystone = fakeKeystone(clock);
    const refusing = (async (input: string | URL | Request, init?: RequestInit) =>
      init?.method === 'GET' ? new Response('{}', { status: 401 }) : keystone.send(input, init)) as typeof fetch;
    await expect(new KeystoneClient(SETTINGS, (m) => logs.push(m), clock, refusing).validate('user-token')).rejects.toMatchObject({ code: 'unavailable' });
    expect(keystone.state.issued).toBe(2);
    expect(logs.join('\n')).toMatch(/answered HTTP 401/);
  });
});
