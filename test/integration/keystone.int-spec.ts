import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Mode, type RunningGlimpse, freePort, startGlimpse } from '../support/glimpse';
import { eventually } from '../support/eventually';
import { api, download, upload } from '../support/http';
import { type KeystoneEnv, issueToken, keystoneAuthEnv, requireKeystone, revokeToken } from '../support/keystone';

/** Seconds a validated token is trusted here: small, so that a revocation shows within a test. */
const TOKEN_CACHE_TIME = 2;
/** Each test makes a few dozen requests on a busy machine. */
const TEST_TIMEOUT = 60000;

/** A client of Glimpse that sends `token` as X-Auth-Token (no token at all when null). */
function withToken(url: string, token: string | null) {
  const client = api(url);
  const headers: Record<string, string> = token === null ? {} : { 'X-Auth-Token': token };
  return {
    get: (path: string) => client.get(path, headers),
    post: (path: string, body?: unknown) => client.post(path, body, headers),
    del: (path: string) => client.del(path, headers),
  };
}

const challengeOf = (keystone: KeystoneEnv) => `Keystone uri="${keystone.authUrl}"`;

/**
 * auth_strategy = keystone against the real Keystone of scripts/keystone: Glimpse validates each
 * X-Auth-Token itself (service token of the glance user, GET /v3/auth/tokens), as Glance's
 * keystonemiddleware does. Configured in Glance's layout: [paste_deploy] flavor and
 * [keystone_authtoken].
 */
describe.each(['embedded', 'cluster'] as Mode[])('Keystone tokens (%s)', (mode) => {
  let keystone: KeystoneEnv;
  let glimpse: RunningGlimpse;
  let configDir: string;
  const tokens = {} as Record<'demo' | 'reader' | 'alt' | 'admin', string>;

  beforeAll(async () => {
    keystone = await requireKeystone();
    const service = keystone.user('service');
    configDir = mkdtempSync(join(tmpdir(), 'glimpse-keystone-conf-'));
    const config = join(configDir, 'glimpse-api.conf');
    writeFileSync(
      config,
      [
        '[paste_deploy]',
        'flavor = keystone',
        '[keystone_authtoken]',
        `www_authenticate_uri = ${keystone.authUrl}`,
        `auth_url = ${keystone.authUrl.replace(/\/v3$/, '')}`,
        'auth_type = password',
        `username = ${service.name}`,
        `password = ${service.password}`,
        `project_name = ${service.project}`,
        'user_domain_name = Default',
        'project_domain_name = Default',
        `token_cache_time = ${TOKEN_CACHE_TIME}`,
        '',
      ].join('\n'),
    );
    glimpse = await startGlimpse(mode, { GLIMPSE_CONFIG_FILE: config });
    for (const who of ['demo', 'reader', 'alt', 'admin'] as const) tokens[who] = await issueToken(keystone, who);
  }, 90000);

  afterAll(async () => {
    await glimpse?.stop();
    if (configDir) rmSync(configDir, { recursive: true, force: true });
  });

  it("makes the token's project the owner and keeps private images to their project", async () => {
    const demo = withToken(glimpse.url, tokens.demo);
    const alt = withToken(glimpse.url, tokens.alt);
    const admin = withToken(glimpse.url, tokens.admin);
    const reader = withToken(glimpse.url, tokens.reader);

    const created = await demo.post('/v2/images', { name: `ks-private-${mode}`, disk_format: 'raw', container_format: 'bare' });
    expect(created.status).toBe(201);
    const image = created.json();
    expect(image).toMatchObject({ owner: keystone.user('demo').projectId, visibility: 'shared' });

    const listed = async (client: ReturnType<typeof withToken>) => (await client.get('/v2/images?limit=1000')).json().images.map((i: { id: string }) => i.id);
    expect(await listed(demo)).toContain(image.id);
    expect(await listed(reader)).toContain(image.id);
    expect(await listed(alt)).not.toContain(image.id);
    expect(await listed(admin)).toContain(image.id);
    expect((await alt.get(`/v2/images/${image.id}`)).status).toBe(404);
    expect((await reader.get(`/v2/images/${image.id}`)).json().owner).toBe(keystone.user('demo').projectId);
    expect((await admin.get(`/v2/images/${image.id}`)).status).toBe(200);

    // member may not publish (Glance's publicize_image is admin only); admin may, and then everyone sees it.
    expect((await demo.post('/v2/images', { name: 'not-public', visibility: 'public' })).status).toBe(403);
    const published = await admin.post('/v2/images', { name: `ks-public-${mode}`, visibility: 'public' });
    expect(published.status).toBe(201);
    expect(published.json().owner).toBe(keystone.user('admin').projectId);
    expect(await listed(alt)).toContain(published.json().id);

    // Image data: the owner uploads with its token, the owner and admin read it back, alt cannot.
    const data = randomBytes(1024 * 1024 + 7);
    expect((await upload(glimpse.url, image.id, data, null, { headers: { 'X-Auth-Token': tokens.alt } })).status).toBe(404);
    expect((await upload(glimpse.url, image.id, data, null)).status).toBe(401);
    expect((await upload(glimpse.url, image.id, data, null, { headers: { 'X-Auth-Token': tokens.demo } })).status).toBe(204);
    for (const token of [tokens.demo, tokens.admin]) {
      const got = await download(glimpse.url, image.id, null, { 'X-Auth-Token': token });
      expect(got.status).toBe(200);
      expect(got.body.equals(data)).toBe(true);
    }
    expect((await download(glimpse.url, image.id, null, { 'X-Auth-Token': tokens.alt })).status).toBe(404);

    // The reader role may look but not create; alt may not delete demo's image (it cannot even see it).
    expect((await reader.post('/v2/images', { name: 'reader-image' })).status).toBe(403);
    expect((await alt.del(`/v2/images/${image.id}`)).status).toBe(404);
    expect((await demo.del(`/v2/images/${image.id}`)).status).toBe(204);
  }, TEST_TIMEOUT);

  it('answers a bad or missing token with 401 and the WWW-Authenticate of keystonemiddleware', async () => {
    for (const token of ['gAAAAABnot-a-real-fernet-token', null]) {
      const res = await withToken(glimpse.url, token).get('/v2/images');
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toBe(challengeOf(keystone));
    }
    // The proxy headers of trusted mode count for nothing here.
    const spoofed = await api(glimpse.url, { project: 'p', roles: ['admin'] }).get('/v2/images');
    expect(spoofed.status).toBe(401);
    // Versions and health stay open, as in Glance.
    expect((await fetch(`${glimpse.url}/healthcheck`)).status).toBe(200);
    expect((await fetch(`${glimpse.url}/versions`)).status).toBe(200);
  }, TEST_TIMEOUT);

  it('refuses a revoked token once token_cache_time has passed', async () => {
    const token = await issueToken(keystone, 'demo');
    const demo = withToken(glimpse.url, token);
    expect((await demo.get('/v2/images')).status).toBe(200);
    await revokeToken(keystone, token);
    // Polled: the revocation shows once the cached verdict (at most TOKEN_CACHE_TIME old) lapses.
    const deadline = Date.now() + (TOKEN_CACHE_TIME + 5) * 1000;
    let res = await demo.get('/v2/images');
    while (res.status === 200 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      res = await demo.get('/v2/images');
    }
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toBe(challengeOf(keystone));
  }, TEST_TIMEOUT);
});

/** The line may be written just after the response went out. */
async function expectLogged(glimpse: RunningGlimpse, pattern: RegExp): Promise<void> {
  await eventually(async () => pattern.test(glimpse.logs()), (found) => found, 5000).catch(() => false);
  expect(glimpse.logs()).toMatch(pattern);
}

describe('Keystone that cannot be used (embedded)', () => {
  let keystone: KeystoneEnv;
  let unreachable: RunningGlimpse;
  let misconfigured: RunningGlimpse;

  beforeAll(async () => {
    keystone = await requireKeystone();
    const closedPort = await freePort();
    [unreachable, misconfigured] = await Promise.all([
      startGlimpse('embedded', keystoneAuthEnv(keystone, { GLIMPSE_AUTH_URL: `http://127.0.0.1:${closedPort}/v3`, GLIMPSE_HTTP_CONNECT_TIMEOUT: '5' })),
      startGlimpse('embedded', keystoneAuthEnv(keystone, { GLIMPSE_PASSWORD: 'not-the-password' })),
    ]);
  }, 90000);

  afterAll(async () => {
    await unreachable?.stop();
    await misconfigured?.stop();
  });

  it('answers 503, not 401 or 500, when Keystone does not answer', async () => {
    const token = await issueToken(keystone, 'demo');
    const res = await withToken(unreachable.url, token).get('/v2/images');
    expect(res.status).toBe(503);
    expect(res.headers.get('www-authenticate')).toBeNull();
    // Without a token there is nothing to ask Keystone: still 401.
    expect((await withToken(unreachable.url, null).get('/v2/images')).status).toBe(401);
    await expectLogged(unreachable, /Keystone is unreachable \(ECONNREFUSED\)/);
  }, TEST_TIMEOUT);

  it("answers 503 when Keystone refuses Glimpse's own service credentials, and logs why", async () => {
    const token = await issueToken(keystone, 'demo');
    expect((await withToken(misconfigured.url, token).get('/v2/images')).status).toBe(503);
    await expectLogged(misconfigured, /refused the login of username=glance project_name=service \(HTTP 401\)/);
    expect(misconfigured.logs()).not.toContain('not-the-password');
  }, TEST_TIMEOUT);
});

describe('auth_strategy = keystone without credentials', () => {
  it('stops the start, naming each missing [keystone_authtoken] option', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'glimpse-keystone-start-'));
    try {
      const child = spawn(process.execPath, ['bin/glimpse.js'], {
        cwd: join(__dirname, '../..'),
        env: { PATH: process.env['PATH'] ?? '', OTEL_SDK_DISABLED: 'true', GLIMPSE_DATA_DIR: dataDir, GLIMPSE_BIND_PORT: '0', GLIMPSE_AUTH_STRATEGY: 'keystone', GLIMPSE_USERNAME: 'glance' },
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      let stderr = '';
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
      expect(code).not.toBe(0);
      expect(stderr).toContain('auth_strategy = keystone needs [keystone_authtoken] auth_url, [keystone_authtoken] password, [keystone_authtoken] project_name');
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 60000);
});
