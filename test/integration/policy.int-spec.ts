import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type RunningGlimpse, startGlimpse } from '../support/glimpse';
import { ADMIN, ALICE, BOB, type Identity, api } from '../support/http';

const ROOT = join(__dirname, '../..');
const OPERATOR: Identity = { project: ALICE.project, roles: ['member', 'reader', 'operator'], user: 'op' };

async function eventually(check: () => Promise<boolean>, timeoutMs = 8000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await new Promise((r) => setTimeout(r, 200));
  }
  return false;
}

describe('policy file and property protections (embedded, trusted)', () => {
  let dir: string;
  let policyFile: string;
  let glimpse: RunningGlimpse;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'glimpse-policy-'));
    policyFile = join(dir, 'policy.yaml');
    writeFileSync(policyFile, '"get_images": "role:admin"\n');
    const protections = join(dir, 'property-protections.conf');
    writeFileSync(
      protections,
      [
        '[^x_owner_.*]', 'create = admin,member', 'read = admin,member', 'update = admin', 'delete = admin', '',
        '[^secret_.*]', 'create = admin', 'read = admin', 'update = !', 'delete = admin', '',
        '[.*]', 'create = @', 'read = @', 'update = @', 'delete = @', '',
      ].join('\n'),
    );
    glimpse = await startGlimpse('embedded', {
      GLIMPSE_AUTH_STRATEGY: 'trusted',
      GLIMPSE_POLICY_FILE: policyFile,
      GLIMPSE_PROPERTY_PROTECTION_FILE: protections,
    });
  }, 60000);

  afterAll(async () => {
    await glimpse?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('enforces an overridden rule, then picks up an edit of the file without a restart', async () => {
    const alice = api(glimpse.url, ALICE);
    expect((await alice.get('/v2/images')).status).toBe(403);
    expect((await api(glimpse.url, ADMIN).get('/v2/images')).status).toBe(200);
    writeFileSync(policyFile, '"get_images": "role:reader"\n');
    expect(await eventually(async () => (await alice.get('/v2/images')).status === 200)).toBe(true);
  });

  it('keeps the previous rules when an edit is broken', async () => {
    const alice = api(glimpse.url, ALICE);
    writeFileSync(policyFile, '"get_images": "role:reader"\n"delete_image": "role:admin and (role:member"\n');
    await new Promise((r) => setTimeout(r, 2500));
    expect((await alice.get('/v2/images')).status).toBe(200);
    expect(glimpse.logs()).toContain('keeping the previous policy');
  });

  it('applies property protections (roles format) to create, read, update and delete', async () => {
    const alice = api(glimpse.url, ALICE);
    const admin = api(glimpse.url, ADMIN);
    expect((await alice.post('/v2/images', { name: 'p', secret_key: 'x' })).status).toBe(403);
    const created = await admin.post('/v2/images', { name: 'p', owner: ALICE.project, secret_key: 's', x_owner_team: 'blue', free: 'yes' });
    expect(created.status).toBe(201);
    const id = created.json().id;
    const seen = (await alice.get(`/v2/images/${id}`)).json();
    expect(seen.secret_key).toBeUndefined();
    expect(seen.x_owner_team).toBe('blue');
    expect(seen.free).toBe('yes');
    expect((await admin.get(`/v2/images/${id}`)).json().secret_key).toBe('s');
    expect((await alice.patch(`/v2/images/${id}`, [{ op: 'replace', path: '/x_owner_team', value: 'red' }])).status).toBe(403);
    expect((await alice.patch(`/v2/images/${id}`, [{ op: 'remove', path: '/x_owner_team' }])).status).toBe(403);
    expect((await alice.patch(`/v2/images/${id}`, [{ op: 'replace', path: '/free', value: 'no' }])).status).toBe(200);
    expect((await admin.patch(`/v2/images/${id}`, [{ op: 'replace', path: '/secret_key', value: 't' }])).status).toBe(403);
    expect((await admin.patch(`/v2/images/${id}`, [{ op: 'remove', path: '/secret_key' }])).status).toBe(200);
    expect((await api(glimpse.url, BOB).post('/v2/images', { x_owner_team: 'b' })).status).toBe(201);
  });

  describe('policies format', () => {
    let other: RunningGlimpse;
    beforeAll(async () => {
      const policy = join(dir, 'policy-props.yaml');
      writeFileSync(policy, '"can_touch_secret": "role:operator or role:admin"\n');
      const protections = join(dir, 'protections-policies.conf');
      writeFileSync(protections, '[^secret_.*]\ncreate = can_touch_secret\nread = can_touch_secret\nupdate = can_touch_secret\ndelete = !\n\n[.*]\ncreate = @\nread = @\nupdate = @\ndelete = @\n');
      other = await startGlimpse('embedded', {
        GLIMPSE_AUTH_STRATEGY: 'trusted',
        GLIMPSE_POLICY_FILE: policy,
        GLIMPSE_PROPERTY_PROTECTION_FILE: protections,
        GLIMPSE_PROPERTY_PROTECTION_RULE_FORMAT: 'policies',
      });
    }, 60000);
    afterAll(async () => other?.stop());

    it('evaluates the named policy rule for each operation', async () => {
      expect((await api(other.url, ALICE).post('/v2/images', { secret_a: '1' })).status).toBe(403);
      const created = await api(other.url, OPERATOR).post('/v2/images', { secret_a: '1' });
      expect(created.status).toBe(201);
      const id = created.json().id;
      expect((await api(other.url, ALICE).get(`/v2/images/${id}`)).json().secret_a).toBeUndefined();
      expect((await api(other.url, OPERATOR).get(`/v2/images/${id}`)).json().secret_a).toBe('1');
      expect((await api(other.url, OPERATOR).patch(`/v2/images/${id}`, [{ op: 'remove', path: '/secret_a' }])).status).toBe(403);
    });
  });

  it.each([
    ['a bad expression', '"get_image": "role:admin or"\n', 'rule "get_image": the rule ends where a check was expected'],
    ['an unknown rule name', '"get_imagez": "role:admin"\n', 'rule "get_imagez" is not a Glance policy rule'],
    ['a dangling rule: reference', '"get_image": "rule:nowhere"\n', 'rule:nowhere refers to a rule that is not defined'],
  ])('stops at start with a clear error for %s', (_what, content, message) => {
    const file = join(dir, `bad-${Math.random().toString(36).slice(2)}.yaml`);
    writeFileSync(file, content);
    const result = spawnSync(process.execPath, ['bin/glimpse.js'], {
      cwd: ROOT,
      env: { PATH: process.env['PATH'] ?? '', OTEL_SDK_DISABLED: 'true', GLIMPSE_DATA_DIR: dir, GLIMPSE_BIND_PORT: '0', GLIMPSE_POLICY_FILE: file },
      encoding: 'utf8',
      timeout: 20000,
    });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain(`policy_file=${file}`);
    expect(result.stderr).toContain(message);
  });
});
