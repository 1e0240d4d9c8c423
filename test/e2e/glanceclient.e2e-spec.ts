import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type CliResult, cliValue, glanceFor, parseListTable, parsePropertyTable } from '../support/glance-cli';
import { type Mode, type RunningGlimpse, startGlimpse } from '../support/glimpse';
import { qcow2Image } from '../support/disk-images';
import { api } from '../support/http';

const md5 = (b: Buffer) => createHash('md5').update(b).digest('hex');
const sha512 = (b: Buffer) => createHash('sha512').update(b).digest('hex');

/** Fields print_image leaves out of image-show / image-create / image-update. */
const NOT_PRINTED = new Set(['self', 'file', 'schema', 'access']);

const CLI_TIMEOUT = 20000;

/** The result in a failure message: a non-zero exit alone says nothing about why. */
function ok(result: CliResult): CliResult {
  if (result.code !== 0) {
    throw new Error(`glance exited ${result.code}\n--- stdout\n${result.stdout}\n--- stderr\n${result.stderr}`);
  }
  return result;
}

/**
 * The real python-glanceclient 4.1 CLI against a running Glimpse in noauth mode. Every command
 * of a mode runs with the same fresh HOME: the first one caches ~/.glanceclient/image_schema.json,
 * and every later one builds its argument parser from that cached schema (the case that breaks
 * glanceclient 4.1 against a Glance 25 schema).
 */
describe.each(['embedded', 'cluster'] as Mode[])('python-glanceclient CLI against Glimpse (%s)', (mode) => {
  let glimpse: RunningGlimpse;
  let home: string;
  let work: string;
  let cli: ReturnType<typeof glanceFor>;
  let http: ReturnType<typeof api>;
  let imagePath: string;
  let imageData: Buffer;
  let schemaPath: string;
  let schemaMtime: number;
  let id: string;

  beforeAll(async () => {
    glimpse = await startGlimpse(mode, { GLIMPSE_AUTH_STRATEGY: 'noauth' });
    home = mkdtempSync(join(tmpdir(), `glimpse-e2e-home-${mode}-`));
    work = mkdtempSync(join(tmpdir(), `glimpse-e2e-files-${mode}-`));
    imagePath = join(work, 'disk.qcow2');
    imageData = qcow2Image(imagePath, 3 * 1024 * 1024 + 12345);
    schemaPath = join(home, '.glanceclient', 'image_schema.json');
    cli = glanceFor(glimpse.url, home);
    http = api(glimpse.url);
  }, 60000);

  afterAll(async () => {
    await glimpse?.stop();
    for (const dir of [home, work]) if (dir) rmSync(dir, { recursive: true, force: true });
  });

  async function show(imageId: string): Promise<Record<string, string>> {
    return parsePropertyTable(ok(await cli('image-show', imageId)).stdout);
  }

  async function apiImage(imageId: string): Promise<Record<string, any>> {
    const res = await http.get(`/v2/images/${imageId}`);
    expect(res.status).toBe(200);
    return res.json();
  }

  async function listIds(...filters: string[]): Promise<string[]> {
    return parseListTable(ok(await cli('image-list', ...filters)).stdout).map((row) => row['ID']);
  }

  it('caches the image schema on the first command in an empty HOME', async () => {
    expect(existsSync(join(home, '.glanceclient'))).toBe(false);
    const rows = parseListTable(ok(await cli('image-list')).stdout);
    expect(rows).toEqual([]);
    expect(existsSync(schemaPath)).toBe(true);
    const served = await http.get('/v2/schemas/image');
    expect(served.status).toBe(200);
    expect(JSON.parse(readFileSync(schemaPath, 'utf8'))).toEqual(served.json());
    schemaMtime = statSync(schemaPath).mtimeMs;
  }, CLI_TIMEOUT);

  it('image-create --file --progress uploads the file: active, size, checksum, sha512, custom property', async () => {
    const result = ok(
      await cli(
        'image-create', '--name', 'n', '--disk-format', 'qcow2', '--container-format', 'bare',
        '--property', 'foo=bar', '--file', imagePath, '--progress',
      ),
    );
    expect(result.stderr).not.toMatch(/Traceback|WARNING/);
    const printed = parsePropertyTable(result.stdout);
    id = printed['id'];
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(printed).toMatchObject({
      name: 'n',
      status: 'active',
      disk_format: 'qcow2',
      container_format: 'bare',
      size: String(imageData.length),
      checksum: md5(imageData),
      os_hash_algo: 'sha512',
      os_hash_value: sha512(imageData),
      foo: 'bar',
      tags: '[]',
    });

    const image = await apiImage(id);
    expect(image).toMatchObject({
      id, name: 'n', status: 'active', disk_format: 'qcow2', container_format: 'bare', foo: 'bar',
      size: imageData.length, checksum: md5(imageData), os_hash_algo: 'sha512', os_hash_value: sha512(imageData),
    });
  }, CLI_TIMEOUT);

  it('image-list shows the image by id and name, and filters by --property-filter', async () => {
    const rows = parseListTable(ok(await cli('image-list')).stdout);
    expect(rows).toEqual([{ ID: id, Name: 'n' }]);
    const listed = (await http.get('/v2/images')).json().images as { id: string; name: string }[];
    expect(listed.map((i) => [i.id, i.name])).toEqual([[id, 'n']]);

    expect(await listIds('--property-filter', 'foo=bar')).toEqual([id]);
    expect(await listIds('--property-filter', 'foo=nothing-like-this')).toEqual([]);
  }, CLI_TIMEOUT);

  it('image-show prints every field of the API representation', async () => {
    const printed = await show(id);
    const image = await apiImage(id);
    const expected = Object.fromEntries(
      Object.entries(image).filter(([k]) => !NOT_PRINTED.has(k)).map(([k, v]) => [k, cliValue(k, v)]),
    );
    expect(printed).toEqual(expected);
    expect(printed['owner']).toBe('None');
    expect(printed['os_hidden']).toBe('False');
    expect(printed['visibility']).toBe(image['visibility']);
  }, CLI_TIMEOUT);

  it('image-update --name --property renames and adds a property; --remove-property removes one', async () => {
    const updated = parsePropertyTable(ok(await cli('image-update', '--name', 'renamed', '--property', 'colour=blue', id)).stdout);
    expect(updated).toMatchObject({ id, name: 'renamed', colour: 'blue', foo: 'bar' });
    expect(await show(id)).toMatchObject({ name: 'renamed', colour: 'blue', foo: 'bar' });
    expect(await apiImage(id)).toMatchObject({ name: 'renamed', colour: 'blue', foo: 'bar' });

    const removed = parsePropertyTable(ok(await cli('image-update', '--remove-property', 'foo', id)).stdout);
    expect(removed).not.toHaveProperty('foo');
    expect(removed).toMatchObject({ name: 'renamed', colour: 'blue' });
    const image = await apiImage(id);
    expect(image).not.toHaveProperty('foo');
    expect(image).toMatchObject({ name: 'renamed', colour: 'blue' });
    expect(await listIds('--property-filter', 'foo=bar')).toEqual([]);
    expect(await listIds('--property-filter', 'colour=blue')).toEqual([id]);
  }, CLI_TIMEOUT);

  it('image-tag-update adds a tag (shown, filterable, kept by image-update); image-tag-delete removes it', async () => {
    const tagged = parseListTable(ok(await cli('image-tag-update', id, 't1')).stdout);
    expect(tagged).toEqual([{ ID: id, Tags: "['t1']" }]);
    expect((await show(id))['tags']).toBe('["t1"]');
    expect((await apiImage(id))['tags']).toEqual(['t1']);
    expect(await listIds('--tag', 't1')).toEqual([id]);
    expect(await listIds('--tag', 't2')).toEqual([]);

    // glanceclient ends every PATCH of a tagged image with a redundant replace of /tags
    const patched = parsePropertyTable(ok(await cli('image-update', '--property', 'shade=dark', id)).stdout);
    expect(patched).toMatchObject({ shade: 'dark', tags: '["t1"]' });
    expect(await apiImage(id)).toMatchObject({ shade: 'dark', tags: ['t1'] });

    ok(await cli('image-tag-delete', id, 't1'));
    expect((await show(id))['tags']).toBe('[]');
    expect((await apiImage(id))['tags']).toEqual([]);
    expect(await listIds('--tag', 't1')).toEqual([]);
  }, CLI_TIMEOUT);

  it('image-download --file (with and without --progress) writes the uploaded bytes', async () => {
    const plain = join(work, 'plain.out');
    ok(await cli('image-download', '--file', plain, id));
    expect(sha512(readFileSync(plain))).toBe(sha512(imageData));

    const withProgress = join(work, 'progress.out');
    ok(await cli('image-download', '--file', withProgress, '--progress', id));
    const downloaded = readFileSync(withProgress);
    expect(downloaded.length).toBe(imageData.length);
    expect(sha512(downloaded)).toBe(sha512(imageData));
    expect(sha512(downloaded)).toBe((await apiImage(id))['os_hash_value']);
  }, CLI_TIMEOUT);

  it('image-show of an unknown id fails with a readable 404 message, not a traceback', async () => {
    const unknown = randomUUID();
    const result = await cli('image-show', unknown);
    expect(result.code).not.toBe(0);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain('404');
    expect(result.stderr).toContain(`No image found with ID ${unknown}`);
    expect(result.stderr).not.toMatch(/Traceback|<html|\{"/i);
    expect((await http.get(`/v2/images/${unknown}`)).status).toBe(404);
  }, CLI_TIMEOUT);

  it('image-upload --file --progress uploads into a queued image', async () => {
    // Created over HTTP: the CLI's image-create reads stdin as image data when stdin is not a tty.
    const created = (await http.post('/v2/images', { name: 'second', disk_format: 'raw', container_format: 'bare' })).json();
    expect(created['status']).toBe('queued');
    const data = randomBytes(512 * 1024 + 7);
    const file = join(work, 'second.raw');
    writeFileSync(file, data);
    ok(await cli('image-upload', '--file', file, '--progress', created['id']));
    const image = await apiImage(created['id']);
    expect(image).toMatchObject({ status: 'active', size: data.length, checksum: createHash('md5').update(data).digest('hex') });
    ok(await cli('image-delete', created['id']));
  }, CLI_TIMEOUT);

  it('image-deactivate and image-reactivate flip the status', async () => {
    ok(await cli('image-deactivate', id));
    expect((await show(id))['status']).toBe('deactivated');
    expect((await apiImage(id)).status).toBe('deactivated');
    ok(await cli('image-reactivate', id));
    expect((await show(id))['status']).toBe('active');
  }, CLI_TIMEOUT);

  it('member-create, member-list, member-get, member-update and member-delete manage sharing', async () => {
    const created = parseListTable(ok(await cli('member-create', id, 'project-b')).stdout);
    expect(created).toEqual([{ 'Image ID': id, 'Member ID': 'project-b', Status: 'pending' }]);
    ok(await cli('member-create', id, 'project-c'));
    const listed = parseListTable(ok(await cli('member-list', '--image-id', id)).stdout);
    expect(listed.map((m) => m['Member ID']).sort()).toEqual(['project-b', 'project-c']);
    const got = parsePropertyTable(ok(await cli('member-get', id, 'project-c')).stdout);
    expect(got).toMatchObject({ image_id: id, member_id: 'project-c', status: 'pending', schema: '/v2/schemas/member' });
    const updated = parseListTable(ok(await cli('member-update', id, 'project-b', 'accepted')).stdout);
    expect(updated[0]['Status']).toBe('accepted');
    const members = (await http.get(`/v2/images/${id}/members`)).json().members;
    expect(members.find((m: any) => m.member_id === 'project-b').status).toBe('accepted');
    ok(await cli('member-delete', id, 'project-c'));
    ok(await cli('member-delete', id, 'project-b'));
    expect((await http.get(`/v2/images/${id}/members`)).json().members).toEqual([]);
    const missing = await cli('member-get', id, 'project-z');
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toMatch(/404/);
    expect(missing.stderr).not.toMatch(/Traceback/);
  }, CLI_TIMEOUT);

  it('image-delete deletes the image: image-show, a second delete and the API all say it is gone', async () => {
    const deleted = ok(await cli('image-delete', id));
    expect(deleted.stdout.trim()).toBe('');
    expect(deleted.stderr).not.toMatch(/Traceback/);

    const shown = await cli('image-show', id);
    expect(shown.code).not.toBe(0);
    expect(shown.stderr).toMatch(/404/);
    expect(shown.stderr).toContain(`No image found with ID ${id}`);
    expect(shown.stderr).not.toMatch(/Traceback/);

    const again = await cli('image-delete', id);
    expect(again.code).not.toBe(0);
    expect(again.stderr).toContain(`No image with an ID of '${id}' exists.`);
    expect(again.stderr).not.toMatch(/Traceback/);

    expect((await http.get(`/v2/images/${id}`)).status).toBe(404);
    expect(await listIds()).toEqual([]);
  }, CLI_TIMEOUT);

  it('every later command reused the schema cached by the first one', () => {
    expect(readdirSync(join(home, '.glanceclient'))).toContain('image_schema.json');
    expect(statSync(schemaPath).mtimeMs).toBe(schemaMtime);
  });
});
