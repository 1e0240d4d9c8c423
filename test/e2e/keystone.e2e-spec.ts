import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type CliResult, glance, parseListTable, parsePropertyTable } from '../support/glance-cli';
import { type RunningGlimpse, startGlimpse } from '../support/glimpse';
import { type KeystoneEnv, type KeystoneUser, keystoneAuthEnv, requireKeystone } from '../support/keystone';
import { runProcess } from '../support/run-process';

const CLI_TIMEOUT = 60000;

function ok(result: CliResult, what: string): CliResult {
  if (result.code !== 0) throw new Error(`${what} exited ${result.code}\n--- stdout\n${result.stdout}\n--- stderr\n${result.stderr}`);
  return result;
}

/**
 * The real clients with a Keystone password login, unchanged: python-glanceclient
 * (`glance --os-auth-url … --os-username …`), `openstack image …` and openstacksdk on a
 * keystoneauth session. They get their tokens from scripts/keystone's Keystone and Glimpse
 * validates them there; the image endpoint is given explicitly because the demo catalog's points
 * at port 9292.
 */
describe('OpenStack clients with Keystone auth against Glimpse (embedded)', () => {
  let keystone: KeystoneEnv;
  let glimpse: RunningGlimpse;
  let home: string;
  let cloudsYaml: string;

  beforeAll(async () => {
    keystone = await requireKeystone();
    glimpse = await startGlimpse('embedded', keystoneAuthEnv(keystone));
    home = mkdtempSync(join(tmpdir(), 'glimpse-e2e-keystone-'));
    cloudsYaml = join(home, 'clouds.yaml');
    const cloud = (who: KeystoneUser) => {
      const user = keystone.user(who);
      return [
        `  ${who}:`,
        '    auth:',
        `      auth_url: ${keystone.authUrl}`,
        `      username: ${user.name}`,
        `      password: "${user.password}"`,
        `      project_name: ${user.project}`,
        '      user_domain_name: Default',
        '      project_domain_name: Default',
        '    identity_api_version: 3',
        `    image_endpoint_override: ${glimpse.url}`,
      ];
    };
    writeFileSync(cloudsYaml, ['clouds:', ...cloud('demo'), ...cloud('alt'), ''].join('\n'));
  }, 90000);

  afterAll(async () => {
    await glimpse?.stop();
    if (home) rmSync(home, { recursive: true, force: true });
  });

  function glanceAs(who: KeystoneUser, ...args: string[]): Promise<CliResult> {
    const user = keystone.user(who);
    const auth = [
      '--os-auth-url', keystone.authUrl,
      '--os-username', user.name,
      '--os-password', user.password,
      '--os-project-name', user.project,
      '--os-user-domain-name', 'Default',
      '--os-project-domain-name', 'Default',
      '--os-image-url', glimpse.url,
    ];
    return glance(home, [...auth, ...args], CLI_TIMEOUT, true);
  }

  const clientEnv = () => ({ PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: home, OS_CLIENT_CONFIG_FILE: cloudsYaml });

  it('glance image-create / image-list / image-show with a password login, per project', async () => {
    const created = parsePropertyTable(
      ok(await glanceAs('demo', 'image-create', '--name', 'ks-cli-image', '--disk-format', 'raw', '--container-format', 'bare'), 'glance image-create').stdout,
    );
    expect(created['owner']).toBe(keystone.user('demo').projectId);
    expect(created['status']).toBe('queued');

    const demoList = parseListTable(ok(await glanceAs('demo', 'image-list'), 'glance image-list').stdout);
    expect(demoList.map((row) => row['ID'])).toContain(created['id']);
    const altList = parseListTable(ok(await glanceAs('alt', 'image-list'), 'glance image-list').stdout);
    expect(altList.map((row) => row['ID'])).not.toContain(created['id']);

    const shown = parsePropertyTable(ok(await glanceAs('demo', 'image-show', created['id']), 'glance image-show').stdout);
    expect(shown['name']).toBe('ks-cli-image');
    const hidden = await glanceAs('alt', 'image-show', created['id']);
    expect(hidden.code).not.toBe(0);
    expect(hidden.stderr).toContain(`HTTP 404 Not Found: No image found with ID ${created['id']}`);
  }, CLI_TIMEOUT * 4);

  it('glance with a token Keystone does not know gets the 401 (glanceclient: "Invalid OpenStack Identity credentials.")', async () => {
    const result = await glance(home, ['--os-image-url', glimpse.url, '--os-auth-token', 'gAAAAABforged', 'image-list'], CLI_TIMEOUT);
    expect(result.code).not.toBe(0);
    expect(result.stderr.trim()).toBe('Invalid OpenStack Identity credentials.');
  }, CLI_TIMEOUT * 4);

  it('openstack image create / list, and openstacksdk on a keystoneauth session', async () => {
    const created = JSON.parse(
      ok(
        await runProcess('openstack', ['--os-cloud', 'alt', 'image', 'create', '--disk-format', 'raw', '--container-format', 'bare', '-f', 'json', 'ks-osc-image'], {
          env: clientEnv(),
          timeoutMs: CLI_TIMEOUT,
        }),
        'openstack image create',
      ).stdout,
    );
    expect(created.owner).toBe(keystone.user('alt').projectId);
    const list = async (who: KeystoneUser) =>
      (JSON.parse(ok(await runProcess('openstack', ['--os-cloud', who, 'image', 'list', '-f', 'json'], { env: clientEnv(), timeoutMs: CLI_TIMEOUT }), 'openstack image list').stdout) as { ID: string }[]).map(
        (row) => row.ID,
      );
    expect(await list('alt')).toContain(created.id);
    expect(await list('demo')).not.toContain(created.id);

    const user = keystone.user('alt');
    const sdk = [
      'import json, sys',
      'from keystoneauth1 import session',
      'from keystoneauth1.identity import v3',
      'import openstack',
      `auth = v3.Password(auth_url=${JSON.stringify(keystone.authUrl)}, username=${JSON.stringify(user.name)}, password=${JSON.stringify(user.password)},`,
      `                   project_name=${JSON.stringify(user.project)}, user_domain_name="Default", project_domain_name="Default")`,
      `conn = openstack.connection.Connection(session=session.Session(auth=auth), image_endpoint_override=${JSON.stringify(glimpse.url)})`,
      `image = conn.image.get_image(${JSON.stringify(created.id)})`,
      'print(json.dumps({"owner": image.owner_id, "ids": [i.id for i in conn.image.images()]}))',
    ].join('\n');
    const answer = JSON.parse(ok(await runProcess('/usr/bin/python3', ['-c', sdk], { env: clientEnv(), timeoutMs: CLI_TIMEOUT }), 'openstacksdk').stdout);
    expect(answer).toEqual({ owner: user.projectId, ids: expect.arrayContaining([created.id]) });
  }, CLI_TIMEOUT * 4);
});
