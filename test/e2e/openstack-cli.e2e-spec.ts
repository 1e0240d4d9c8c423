import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type CliResult, runProcess } from '../support/run-process';
import { type Mode, type RunningGlimpse, startGlimpse } from '../support/glimpse';
import { qcow2Image } from '../support/disk-images';
import { api } from '../support/http';

const md5 = (b: Buffer) => createHash('md5').update(b).digest('hex');
const sha512 = (b: Buffer) => createHash('sha512').update(b).digest('hex');

/** Debian's python3-openstackclient 6.0 (on openstacksdk 0.101). */
const OPENSTACK = process.env['GLIMPSE_OPENSTACK_CLI'] ?? '/usr/bin/openstack';
/** One command (it takes 1-2 s on an idle machine, mostly Python start-up). */
const COMMAND_TIMEOUT = 30000;
/** One test: up to six commands, on two shared cores. */
const CLI_TIMEOUT = 90000;

/** Fields of the image JSON that `openstack image show` prints at the top level (_format_image). */
const TOP_LEVEL = [
  'status', 'name', 'container_format', 'created_at', 'size', 'disk_format', 'updated_at', 'visibility',
  'min_disk', 'protected', 'id', 'file', 'checksum', 'owner', 'virtual_size', 'min_ram', 'schema',
];
/** Base-schema fields the SDK knows by another name: the CLI prints them under `properties`. */
const AS_PROPERTIES = ['os_hidden', 'os_hash_algo', 'os_hash_value'];
/** Base-schema fields that appear in neither place. */
const NOT_PRINTED = new Set(['self', 'tags', 'locations', 'direct_url', 'stores']);

/**
 * The real `openstack` CLI with HOME set to `home` and nothing else from the caller's OpenStack
 * environment (no OS_* variables, no clouds.yaml). stdin is /dev/null.
 */
function openstack(home: string, args: string[], timeoutMs = COMMAND_TIMEOUT): Promise<CliResult> {
  return runProcess(OPENSTACK, args, { env: { PATH: '/usr/bin:/bin', HOME: home, PYTHONDONTWRITEBYTECODE: '1' }, timeoutMs });
}

function ok(result: CliResult): CliResult {
  if (result.code !== 0) {
    throw new Error(`openstack exited ${result.code}\n--- stdout\n${result.stdout}\n--- stderr\n${result.stderr}`);
  }
  expect(result.stderr).not.toMatch(/Traceback/);
  return result;
}

function json<T = any>(result: CliResult): T {
  return JSON.parse(ok(result).stdout);
}

/** What `openstack image show -f json` prints for an image whose API representation is `image`. */
function expectedShow(image: Record<string, any>): Record<string, any> {
  const top = Object.fromEntries(TOP_LEVEL.filter((k) => image[k] !== null && image[k] !== undefined).map((k) => [k, image[k]]));
  // custom properties, and the base fields the SDK renames (AS_PROPERTIES), go under `properties`
  const properties = Object.fromEntries(
    Object.entries(image).filter(([k, v]) => !TOP_LEVEL.includes(k) && !NOT_PRINTED.has(k) && v !== null),
  );
  return { ...top, tags: image['tags'], properties };
}

/**
 * python-openstackclient 6.0 (`openstack image …`, on openstacksdk 0.101) against a running
 * Glimpse in noauth mode: `--os-auth-type none --os-endpoint <url>`, `-f json` output, a fresh
 * HOME per mode. Every answer is checked against what the API itself says.
 */
describe.each(['embedded', 'cluster'] as Mode[])('openstack CLI against Glimpse (%s)', (mode) => {
  let glimpse: RunningGlimpse;
  let home: string;
  let work: string;
  let cli: (...args: string[]) => Promise<CliResult>;
  let http: ReturnType<typeof api>;
  let diskPath: string;
  let diskData: Buffer;
  let rawPath: string;
  let rawData: Buffer;
  let id: string;
  let otherId: string;
  const name = `osc-${mode}`;
  const otherName = `osc-${mode}-raw`;

  beforeAll(async () => {
    glimpse = await startGlimpse(mode, { GLIMPSE_AUTH_STRATEGY: 'noauth' });
    home = mkdtempSync(join(tmpdir(), `glimpse-e2e-osc-home-${mode}-`));
    work = mkdtempSync(join(tmpdir(), `glimpse-e2e-osc-files-${mode}-`));
    diskPath = join(work, 'disk.qcow2');
    diskData = qcow2Image(diskPath, 2 * 1024 * 1024 + 4321);
    rawData = randomBytes(70000);
    rawPath = join(work, 'disk.raw');
    writeFileSync(rawPath, rawData);
    cli = (...args) => openstack(home, ['--os-auth-type', 'none', '--os-endpoint', glimpse.url, ...args]);
    http = api(glimpse.url);
  }, 60000);

  afterAll(async () => {
    await glimpse?.stop();
    for (const dir of [home, work]) if (dir) rmSync(dir, { recursive: true, force: true });
  });

  async function apiImage(imageId: string): Promise<Record<string, any>> {
    const res = await http.get(`/v2/images/${imageId}`);
    expect(res.status).toBe(200);
    return res.json();
  }

  async function apiIds(query = ''): Promise<string[]> {
    const res = await http.get(`/v2/images${query}`);
    expect(res.status).toBe(200);
    return (res.json().images as { id: string }[]).map((i) => i.id).sort();
  }

  it('image list on an empty Glimpse prints an empty JSON list', async () => {
    expect(json(await cli('image', 'list', '-f', 'json'))).toEqual([]);
    expect(await apiIds()).toEqual([]);
  }, CLI_TIMEOUT);

  it('image create --file --disk-format --container-format --property uploads the file: the API has it active with md5 and sha512', async () => {
    const printed = json(
      await cli(
        'image', 'create', '--file', diskPath, '--disk-format', 'qcow2', '--container-format', 'bare',
        '--property', 'foo=bar', '--property', 'colour=red', name, '-f', 'json',
      ),
    );
    id = printed.id;
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    // the CLI prints the image as POST /v2/images answered it, before the upload
    expect(printed).toMatchObject({
      name, disk_format: 'qcow2', container_format: 'bare', visibility: 'shared', protected: false,
      file: `/v2/images/${id}/file`, schema: '/v2/schemas/image', tags: [],
    });
    expect(printed.properties).toMatchObject({ foo: 'bar', colour: 'red', os_hidden: false });

    expect(await apiImage(id)).toMatchObject({
      id, name, status: 'active', disk_format: 'qcow2', container_format: 'bare', foo: 'bar', colour: 'red',
      size: diskData.length, checksum: md5(diskData), os_hash_algo: 'sha512', os_hash_value: sha512(diskData),
    });

    const other = json(
      await cli(
        'image', 'create', '--file', rawPath, '--disk-format', 'raw', '--container-format', 'bare',
        '--property', 'foo=baz', '--private', '--tag', 'first', otherName, '-f', 'json',
      ),
    );
    otherId = other.id;
    expect(other).toMatchObject({ name: otherName, disk_format: 'raw', visibility: 'private', tags: ['first'] });
    expect(await apiImage(otherId)).toMatchObject({
      status: 'active', visibility: 'private', foo: 'baz', tags: ['first'], size: rawData.length, os_hash_value: sha512(rawData),
    });
  }, CLI_TIMEOUT);

  it('image list and image list --long agree with GET /v2/images, field by field', async () => {
    const rows = json<Record<string, unknown>[]>(await cli('image', 'list', '-f', 'json'));
    // sorted by name (the CLI's default --sort name:asc)
    expect(rows).toEqual([
      { ID: id, Name: name, Status: 'active' },
      { ID: otherId, Name: otherName, Status: 'active' },
    ]);
    expect(await apiIds()).toEqual([id, otherId].sort());

    const long = json<Record<string, unknown>[]>(await cli('image', 'list', '--long', '-f', 'json'));
    expect(long).toHaveLength(2);
    for (const row of long) {
      const image = await apiImage(row['ID'] as string);
      expect(row).toEqual({
        ID: image['id'], Name: image['name'], 'Disk Format': image['disk_format'], 'Container Format': image['container_format'],
        Size: image['size'], Checksum: image['checksum'], Status: image['status'], Visibility: image['visibility'],
        Protected: image['protected'], Project: image['owner'], Tags: image['tags'],
      });
    }
  }, CLI_TIMEOUT);

  it('image list --property filters like the API\'s property filter', async () => {
    const ids = async (...filter: string[]) =>
      json<{ ID: string }[]>(await cli('image', 'list', ...filter, '-f', 'json')).map((r) => r.ID).sort();
    expect(await ids('--property', 'foo=bar')).toEqual([id]);
    expect(await apiIds('?foo=bar')).toEqual([id]);
    expect(await ids('--property', 'foo=baz')).toEqual([otherId]);
    expect(await apiIds('?foo=baz')).toEqual([otherId]);
    expect(await ids('--property', 'foo=nothing')).toEqual([]);
    expect(await apiIds('?foo=nothing')).toEqual([]);
    // server-side filters the CLI passes on
    expect(await ids('--private')).toEqual([otherId]);
    expect(await ids('--tag', 'first')).toEqual([otherId]);
    expect(await apiIds('?tag=first')).toEqual([otherId]);
  }, CLI_TIMEOUT);

  it('image show (by id and by name) prints every field of the API representation', async () => {
    const byId = json(await cli('image', 'show', id, '-f', 'json'));
    const image = await apiImage(id);
    expect(byId).toEqual(expectedShow(image));
    expect(byId).toMatchObject({ status: 'active', size: diskData.length, checksum: md5(diskData) });
    expect(Object.keys(byId.properties)).toEqual(expect.arrayContaining(AS_PROPERTIES));
    expect(byId.properties).toMatchObject({ os_hidden: false, os_hash_algo: 'sha512', os_hash_value: sha512(diskData), foo: 'bar', colour: 'red' });

    const byName = json(await cli('image', 'show', name, '-f', 'json'));
    expect(byName).toEqual(byId);
  }, CLI_TIMEOUT);

  it('image set --name --property --tag renames, sets a property and adds tags; the API agrees', async () => {
    const set = ok(await cli('image', 'set', '--name', `${name}-renamed`, '--property', 'colour=blue', '--property', 'shade=dark', '--tag', 't1', '--tag', 't2', id));
    expect(set.stdout.trim()).toBe('');
    const image = await apiImage(id);
    expect(image).toMatchObject({ name: `${name}-renamed`, colour: 'blue', shade: 'dark', foo: 'bar', status: 'active' });
    expect([...image['tags']].sort()).toEqual(['t1', 't2']);

    const shown = json(await cli('image', 'show', id, '-f', 'json'));
    expect(shown).toEqual(expectedShow(image));
    expect(shown.properties).toMatchObject({ colour: 'blue', shade: 'dark', foo: 'bar' });
    expect(await apiIds('?tag=t1')).toEqual([id]);
  }, CLI_TIMEOUT);

  it('image unset --property --tag removes them; the API and the filters agree', async () => {
    ok(await cli('image', 'unset', '--property', 'foo', '--property', 'shade', '--tag', 't1', id));
    const image = await apiImage(id);
    expect(image).not.toHaveProperty('foo');
    expect(image).not.toHaveProperty('shade');
    expect(image).toMatchObject({ name: `${name}-renamed`, colour: 'blue', tags: ['t2'] });

    const shown = json(await cli('image', 'show', id, '-f', 'json'));
    expect(shown).toEqual(expectedShow(image));
    expect(shown.properties).not.toHaveProperty('foo');
    expect(shown.tags).toEqual(['t2']);
    expect(json<{ ID: string }[]>(await cli('image', 'list', '--property', 'foo=bar', '-f', 'json'))).toEqual([]);
    expect(await apiIds('?foo=bar')).toEqual([]);
    expect(await apiIds('?tag=t1')).toEqual([]);
  }, CLI_TIMEOUT);

  it('image save --file writes the uploaded bytes (sha512 equal to the file and to os_hash_value)', async () => {
    const out = join(work, 'saved.img');
    const saved = ok(await cli('image', 'save', '--file', out, id));
    expect(saved.stdout).toBe('');
    const bytes = readFileSync(out);
    expect(bytes.length).toBe(diskData.length);
    expect(sha512(bytes)).toBe(sha512(diskData));
    expect(sha512(bytes)).toBe((await apiImage(id))['os_hash_value']);

    const rawOut = join(work, 'saved.raw');
    ok(await cli('image', 'save', '--file', rawOut, otherName));
    expect(readFileSync(rawOut).equals(rawData)).toBe(true);
  }, CLI_TIMEOUT);

  it('image show of an unknown image fails with a readable message', async () => {
    const unknown = randomUUID();
    const shown = await cli('image', 'show', unknown, '-f', 'json');
    expect(shown.code).toBe(1);
    expect(shown.stdout).toBe('');
    expect(shown.stderr).toContain(`No Image found for ${unknown}`);
    expect(shown.stderr).not.toMatch(/Traceback/);
    expect((await http.get(`/v2/images/${unknown}`)).status).toBe(404);
  }, CLI_TIMEOUT);

  it('image delete deletes by id and by name; show, a second delete and the API all say they are gone', async () => {
    const deleted = ok(await cli('image', 'delete', id, otherName));
    expect(deleted.stdout.trim()).toBe('');
    expect((await http.get(`/v2/images/${id}`)).status).toBe(404);
    expect((await http.get(`/v2/images/${otherId}`)).status).toBe(404);
    expect(await apiIds()).toEqual([]);
    expect(json(await cli('image', 'list', '-f', 'json'))).toEqual([]);

    const shown = await cli('image', 'show', id);
    expect(shown.code).toBe(1);
    expect(shown.stderr).toContain(`No Image found for ${id}`);

    const again = await cli('image', 'delete', id);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('Failed to delete 1 of 1 images.');
    expect(again.stderr).not.toMatch(/Traceback/);
  }, CLI_TIMEOUT);
});
