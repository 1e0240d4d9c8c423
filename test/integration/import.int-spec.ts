import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { type Server, createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type RunningGlimpse, startGlimpse } from '../support/glimpse';
import { ADMIN, ALICE, api, upload } from '../support/http';
import { eventually } from '../support/eventually';

const served = randomBytes(3 * 1024 * 1024 + 11);
const md5 = (bytes: Buffer) => createHash('md5').update(bytes).digest('hex');

/** A web server for web-download: the image, a redirect to a refused host, and a stalling download. */
function webServer(): { server: Server; stalls: { count: number } } {
  const stalls = { count: 0 };
  const server = createServer((req, res) => {
    const port = (server.address() as { port: number }).port;
    if (req.url === '/image.raw') return void res.writeHead(200, { 'Content-Length': served.length }).end(served);
    if (req.url === '/to-localhost') return void res.writeHead(302, { Location: `http://localhost:${port}/image.raw` }).end();
    if (req.url === '/stalls-once') {
      // The first download trickles forever (its importer gets killed); later ones are whole.
      if (stalls.count++ > 0) return void res.writeHead(200, { 'Content-Length': served.length }).end(served);
      res.writeHead(200, { 'Content-Length': served.length });
      res.write(served.subarray(0, 1024));
      return;
    }
    res.writeHead(404).end();
  });
  return { server, stalls };
}

/** Two filesystem stores (fast, slow: the default), the staging area, and web-download allowed to the test's server. */
function importConfig(dir: string, webUrl: string, extra: { defaults?: string[]; sections?: string[] } = {}): string {
  const file = join(dir, 'glimpse.conf');
  writeFileSync(file, [
    '[DEFAULT]',
    'enabled_backends = fast:file, slow:file',
    `node_staging_uri = file://${dir}/staging`,
    ...(extra.defaults ?? []),
    '[glance_store]',
    'default_backend = slow',
    '[fast]',
    `filesystem_store_datadir = ${dir}/fast`,
    '[slow]',
    `filesystem_store_datadir = ${dir}/slow`,
    '[import_filtering_opts]',
    'allowed_hosts = 127.0.0.1',
    `allowed_ports = ${new URL(webUrl).port}`,
    ...(extra.sections ?? []),
  ].join('\n'));
  return file;
}

/** The web server on a free loopback port; its URL. */
async function listening(web: ReturnType<typeof webServer>): Promise<string> {
  await new Promise<void>((resolve) => web.server.listen(0, '127.0.0.1', () => resolve()));
  return `http://127.0.0.1:${(web.server.address() as { port: number }).port}`;
}

async function closed(web: ReturnType<typeof webServer>): Promise<void> {
  web.server.closeAllConnections();
  await new Promise((resolve) => web.server.close(resolve));
}

describe('interoperable import (embedded, multi-store)', () => {
  let dir: string;
  let glimpse: RunningGlimpse;
  let web: ReturnType<typeof webServer>;
  let webUrl: string;
  const admin = () => api(glimpse.url, ADMIN);

  const config = () =>
    importConfig(dir, webUrl, { sections: ['[image_import_opts]', 'import_lock_timeout = 2', 'image_import_plugins = image_conversion', '[image_conversion]', 'output_format = raw'] });

  const start = () => startGlimpse('embedded', { GLIMPSE_CONFIG_FILE: config(), GLIMPSE_AUTH_STRATEGY: 'trusted', GLIMPSE_DATA_DIR: join(dir, 'data') });

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'glimpse-import-'));
    web = webServer();
    webUrl = await listening(web);
    glimpse = await start();
  }, 60000);

  afterAll(async () => {
    await glimpse?.stop();
    await closed(web);
    rmSync(dir, { recursive: true, force: true });
  });

  const create = async (who = ADMIN) => {
    const res = await api(glimpse.url, who).post('/v2/images', { name: 'imported', disk_format: 'raw', container_format: 'bare' });
    expect(res.headers.get('openstack-image-import-methods')).toBe('glance-direct,web-download,copy-image');
    return res.json();
  };
  const stage = (id: string, bytes: Buffer) => upload(glimpse.url, id, bytes, ADMIN, { stage: true });
  const importImage = (id: string, body: unknown, headers?: Record<string, string>) => admin().post(`/v2/images/${id}/import`, body, headers);
  const until = (id: string, status: string, timeoutMs?: number) => eventually(async () => (await admin().get(`/v2/images/${id}`)).json(), (image) => image.status === status, timeoutMs);

  it('lists the import methods', async () => {
    expect((await admin().get('/v2/info/import')).json()).toEqual({
      'import-methods': { description: 'Import methods available.', type: 'array', value: ['glance-direct', 'web-download', 'copy-image'] },
    });
  });

  it('stages data and imports it with glance-direct into the store asked for, recording a task', async () => {
    const image = await create();
    const bytes = randomBytes(1024 * 1024 + 7);
    expect((await stage(image.id, bytes)).status).toBe(204);
    expect((await admin().get(`/v2/images/${image.id}`)).json()).toEqual(expect.objectContaining({ status: 'uploading', size: bytes.length }));
    expect(readFileSync(join(dir, 'staging', image.id)).equals(bytes)).toBe(true);
    expect((await stage(image.id, Buffer.from('x'))).status).toBe(409);

    expect((await importImage(image.id, { method: { name: 'glance-direct' }, stores: ['fast'] })).status).toBe(202);
    const active = await until(image.id, 'active');
    expect(active).toEqual(expect.objectContaining({ size: bytes.length, checksum: md5(bytes), stores: 'fast' }));
    expect(active).not.toHaveProperty('os_glance_import_task');
    expect(readFileSync(join(dir, 'fast', image.id)).equals(bytes)).toBe(true);
    expect(existsSync(join(dir, 'staging', image.id))).toBe(false);
    const { tasks } = (await admin().get(`/v2/images/${image.id}/tasks`)).json();
    expect(tasks).toEqual([expect.objectContaining({ type: 'api_image_import', status: 'success', image_id: image.id })]);
    expect(tasks[0].input).toEqual(expect.objectContaining({ image_id: image.id, import_req: expect.objectContaining({ method: 'glance-direct', stores: ['fast'] }) }));
    expect((await admin().get(`/v2/tasks/${tasks[0].id}`)).json()).toEqual(expect.objectContaining({ id: tasks[0].id, status: 'success' }));
    expect((await api(glimpse.url, ALICE).get(`/v2/tasks/${tasks[0].id}`)).status).toBe(403);
  });

  it.each([
    ['glance-direct on an image that was not staged', { method: { name: 'glance-direct' } }, 409, "Image needs to be staged before 'glance-direct' method can be used"],
    ['an unknown method', { method: { name: 'glance-download' } }, 400, "Unknown import method name 'glance-download'."],
    ['no method', {}, 400, "Import request requires a 'method' field."],
    ['all_stores given as a string', { method: { name: 'web-download', uri: 'WEB/image.raw' }, all_stores: 'true' }, 400, "'all_stores' type must be boolean"],
    ['an unknown store', { method: { name: 'web-download', uri: 'WEB/image.raw' }, stores: ['nowhere'] }, 409, "Unknown scheme 'nowhere' found in URI"],
    ['all_stores with stores', { method: { name: 'web-download', uri: 'WEB/image.raw' }, stores: ['fast'], all_stores: true }, 400, "All_stores parameter can't be used"],
    ['a web-download to localhost (not in allowed_hosts, a loopback address)', { method: { name: 'web-download', uri: 'http://localhost:PORT/image.raw' } }, 400, 'URI for web-download does not pass filtering'],
    ['a web-download to a private address', { method: { name: 'web-download', uri: 'http://10.1.2.3:PORT/image.raw' } }, 400, 'URI for web-download does not pass filtering'],
    ['a web-download to a port not allowed', { method: { name: 'web-download', uri: 'http://127.0.0.1:1/image.raw' } }, 400, 'URI for web-download does not pass filtering'],
    ['copy-image of an image that is not active', { method: { name: 'copy-image' }, stores: ['fast'] }, 409, 'Only images with status active can be targeted for copying'],
  ])('refuses %s', async (_what, body, status, message) => {
    const image = await create();
    const text = JSON.stringify(body).replace('WEB', webUrl).replace('PORT', new URL(webUrl).port);
    const res = await importImage(image.id, JSON.parse(text));
    expect([res.status, res.text]).toEqual([status, expect.stringContaining(message)]);
    expect((await admin().get(`/v2/images/${image.id}`)).json().status).toBe('queued');
  });

  it('removes the staged data when the image is deleted', async () => {
    const image = await create();
    await stage(image.id, randomBytes(5000));
    expect(existsSync(join(dir, 'staging', image.id))).toBe(true);
    expect((await admin().del(`/v2/images/${image.id}`)).status).toBe(204);
    expect(existsSync(join(dir, 'staging', image.id))).toBe(false);
  });

  it('downloads with web-download into the default store', async () => {
    const image = await create();
    expect((await importImage(image.id, { method: { name: 'web-download', uri: `${webUrl}/image.raw` } })).status).toBe(202);
    const active = await until(image.id, 'active');
    expect([active.checksum, active.size, active.stores]).toEqual([md5(served), served.length, 'slow']);
    const download = await fetch(`${glimpse.url}/v2/images/${image.id}/file`, { headers: { 'X-Roles': 'admin', 'X-Project-Id': ADMIN.project, 'X-Identity-Status': 'Confirmed' } });
    expect(md5(Buffer.from(await download.arrayBuffer()))).toBe(md5(served));
  });

  it('fails a web-download whose redirect leads to a refused host, and the image returns to queued', async () => {
    const image = await create();
    expect((await importImage(image.id, { method: { name: 'web-download', uri: `${webUrl}/to-localhost` } })).status).toBe(202);
    const tasks = await eventually(async () => (await admin().get(`/v2/images/${image.id}/tasks`)).json().tasks, (list: any[]) => list[0]?.status === 'failure');
    expect(tasks[0].message).toMatch(/localhost/);
    const back = (await admin().get(`/v2/images/${image.id}`)).json();
    expect([back.status, back.os_glance_import_task]).toEqual(['queued', undefined]);
    expect(readdirSync(join(dir, 'slow'))).not.toContain(image.id);
  });

  it('copies an active image to another store, and refuses a store that already holds it', async () => {
    const image = await create();
    const bytes = randomBytes(2000);
    await upload(glimpse.url, image.id, bytes, ADMIN);
    const again = await importImage(image.id, { method: { name: 'copy-image' }, stores: ['slow'] });
    expect([again.status, again.text]).toEqual([400, expect.stringContaining("Image is already present at store 'slow'")]);
    expect((await importImage(image.id, { method: { name: 'copy-image' }, stores: ['fast'] })).status).toBe(202);
    await eventually(async () => (await admin().get(`/v2/images/${image.id}`)).json(), (shown) => shown.stores === 'slow,fast');
    expect(readFileSync(join(dir, 'fast', image.id)).equals(bytes)).toBe(true);
    expect((await admin().get(`/v2/images/${image.id}`)).json().status).toBe('active');
    expect((await importImage(image.id, { method: { name: 'copy-image' }, all_stores: true })).status).toBe(202);
  });

  it('holds the import lock against a second import, and a new worker takes over after the first one crashed', async () => {
    const image = await create();
    expect((await importImage(image.id, { method: { name: 'web-download', uri: `${webUrl}/stalls-once` } })).status).toBe(202);
    await eventually(async () => web.stalls.count, (count) => count === 1);
    const locked = (await admin().get(`/v2/images/${image.id}`)).json();
    expect(locked).toEqual(expect.objectContaining({ status: 'importing', os_glance_import_task: expect.any(String), os_glance_importing_to_stores: 'slow' }));
    expect((await importImage(image.id, { method: { name: 'web-download', uri: `${webUrl}/image.raw` } })).status).toBe(409);
    await glimpse.crash();
    glimpse = await start();
    const active = await until(image.id, 'active', 30000);
    expect([active.checksum, active.os_glance_import_task]).toEqual([md5(served), undefined]);
    expect(web.stalls.count).toBe(2);
    const { tasks } = (await admin().get(`/v2/images/${image.id}/tasks`)).json();
    expect(tasks.map((t: any) => t.status)).toEqual(['success']);
  }, 60000);

  it('runs a legacy import task (POST /v2/tasks): the image is made from its properties and downloaded', async () => {
    const input = { import_from: `${webUrl}/image.raw`, import_from_format: 'raw', image_properties: { name: 'legacy', disk_format: 'raw', container_format: 'bare', os_distro: 'cirros' } };
    const created = await admin().post('/v2/tasks', { type: 'import', input });
    expect(created.status).toBe(201);
    const task = created.json();
    expect(created.headers.get('location')).toBe(`/v2/tasks/${task.id}`);
    expect(task).toEqual(expect.objectContaining({ type: 'import', status: 'pending', input, owner: ADMIN.project, self: `/v2/tasks/${task.id}` }));
    const done = await eventually(async () => (await admin().get(`/v2/tasks/${task.id}`)).json(), (shown) => shown.status === 'success');
    expect(done.input).toEqual(input);
    const image = (await admin().get(`/v2/images/${done.result.image_id}`)).json();
    expect(image).toEqual(expect.objectContaining({ name: 'legacy', status: 'active', os_distro: 'cirros', checksum: md5(served), size: served.length, owner: ADMIN.project }));
    const listed = (await admin().get('/v2/tasks')).json();
    expect(listed.tasks.map((t: any) => t.id)).toContain(task.id);
    expect((await admin().get(task.schema)).json()).toEqual(expect.objectContaining({ name: 'task' }));
    expect((await admin().get(listed.schema)).json().properties.tasks.items.properties).not.toHaveProperty('input');
    expect((await api(glimpse.url, ALICE).post('/v2/tasks', { type: 'import', input })).status).toBe(403);
  });

  it.each([
    ['a local file', { import_from: 'file:///etc/passwd' }, 'File based imports are not allowed'],
    ['another scheme', { import_from: 'ftp://127.0.0.1/image.raw' }, 'The given uri is not valid'],
    ['a host the filter refuses', { import_from: 'http://localhost:PORT/image.raw' }, 'URI for legacy import task does not pass filtering'],
    ['input without import_from_format', { import_from: 'WEB/image.raw', import_from_format: undefined }, "Input does not contain 'import_from_format' field"],
    ['image properties without a disk_format', { import_from: 'WEB/image.raw', image_properties: { name: 'x', container_format: 'bare' } }, "'image_properties' must set disk_format"],
  ])('refuses a legacy import task from %s (400), creating no image', async (_what, change, message) => {
    const before = (await admin().get('/v2/images?limit=1000')).json().images.length;
    const input = JSON.parse(JSON.stringify({ import_from_format: 'raw', image_properties: {}, ...change }).replace('WEB', webUrl).replace('PORT', new URL(webUrl).port));
    const res = await admin().post('/v2/tasks', { type: 'import', input });
    expect([res.status, res.text]).toEqual([400, expect.stringContaining(message)]);
    expect((await admin().get('/v2/images?limit=1000')).json().images.length).toBe(before);
  });

  it('creates only import tasks through the tasks API', async () => {
    const res = await admin().post('/v2/tasks', { type: 'api_image_import', input: { image_id: 'x' } });
    expect(res.status).toBe(400);
    expect((await admin().post('/v2/tasks', { type: 'import' })).status).toBe(400);
  });

  it('converts an imported qcow2 to raw (image_conversion), checked by qemu-img info', async () => {
    const qcow2 = join(dir, 'disk.qcow2');
    execFileSync('qemu-img', ['create', '-q', '-f', 'qcow2', qcow2, '8M']);
    execFileSync('qemu-io', ['-c', 'write -P 0xab 1M 64k', qcow2], { stdio: 'pipe' });
    const image = (await admin().post('/v2/images', { name: 'qcow', disk_format: 'qcow2', container_format: 'bare' })).json();
    expect((await stage(image.id, readFileSync(qcow2))).status).toBe(204);
    expect((await importImage(image.id, { method: { name: 'glance-direct' } })).status).toBe(202);
    const active = await until(image.id, 'active');
    expect([active.disk_format, active.virtual_size, active.size]).toEqual(['raw', 8 * 1024 * 1024, 8 * 1024 * 1024]);
    const stored = join(dir, 'slow', image.id);
    expect(JSON.parse(execFileSync('qemu-img', ['info', '--output=json', stored]).toString())).toEqual(expect.objectContaining({ format: 'raw', 'virtual-size': 8 * 1024 * 1024 }));
    const bytes = readFileSync(stored);
    expect([bytes[1024 * 1024], bytes[1024 * 1024 + 65535], bytes[0]]).toEqual([0xab, 0xab, 0]);
  });

  it('refuses to import a qcow2 with a backing file: the task fails and nothing is stored', async () => {
    const base = join(dir, 'base.qcow2');
    const overlay = join(dir, 'overlay.qcow2');
    execFileSync('qemu-img', ['create', '-q', '-f', 'qcow2', base, '4M']);
    execFileSync('qemu-img', ['create', '-q', '-f', 'qcow2', '-b', base, '-F', 'qcow2', overlay]);
    const image = (await admin().post('/v2/images', { name: 'overlay', disk_format: 'qcow2', container_format: 'bare' })).json();
    await stage(image.id, readFileSync(overlay));
    expect((await importImage(image.id, { method: { name: 'glance-direct' } })).status).toBe(202);
    const tasks = await eventually(async () => (await admin().get(`/v2/images/${image.id}/tasks`)).json().tasks, (list: any[]) => list[0]?.status === 'failure');
    expect(tasks[0].message).toMatch(/backing file/i);
    expect((await admin().get(`/v2/images/${image.id}`)).json().status).toBe('queued');
    expect(readdirSync(join(dir, 'slow'))).not.toContain(image.id);
  });
});

describe('imports spend user_storage_quota (embedded, multi-store)', () => {
  let dir: string;
  let glimpse: RunningGlimpse;
  let web: ReturnType<typeof webServer>;
  let webUrl: string;
  const admin = () => api(glimpse.url, ADMIN);

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'glimpse-import-quota-'));
    web = webServer();
    webUrl = await listening(web);
    const file = importConfig(dir, webUrl, { defaults: ['user_storage_quota = 5MB'] });
    glimpse = await startGlimpse('embedded', { GLIMPSE_CONFIG_FILE: file, GLIMPSE_AUTH_STRATEGY: 'trusted', GLIMPSE_DATA_DIR: join(dir, 'data') });
  }, 60000);

  afterAll(async () => {
    await glimpse?.stop();
    await closed(web);
    rmSync(dir, { recursive: true, force: true });
  });

  /** An image of ALICE's project, imported by the admin: the quota is the owner's. */
  const aliceImage = async () => (await api(glimpse.url, ALICE).post('/v2/images', { name: 'q', disk_format: 'raw', container_format: 'bare' })).json();
  const importImage = (id: string, body: unknown) => admin().post(`/v2/images/${id}/import`, body);
  const show = async (id: string) => (await admin().get(`/v2/images/${id}`)).json();
  const failedTask = async (id: string) =>
    (await eventually(async () => (await admin().get(`/v2/images/${id}/tasks`)).json().tasks, (list: any[]) => list[0]?.status === 'failure'))[0];

  it('refuses a copy that would hold the image twice past the quota, then a web-download past what is left', async () => {
    const first = await aliceImage();
    expect((await importImage(first.id, { method: { name: 'web-download', uri: `${webUrl}/image.raw` } })).status).toBe(202);
    await eventually(() => show(first.id), (image) => image.status === 'active');

    // 2 × 3 MiB would exceed 5 MiB: the copy fails and the image stays where it was.
    expect((await importImage(first.id, { method: { name: 'copy-image' }, stores: ['fast'] })).status).toBe(202);
    expect((await failedTask(first.id)).message).toMatch(/exceeds the quota/);
    expect(await show(first.id)).toEqual(expect.objectContaining({ status: 'active', stores: 'slow' }));
    expect(readdirSync(join(dir, 'fast'))).not.toContain(first.id);

    // 1 MiB more fits beside the 3 MiB; then only about 1 MiB is left.
    const small = await aliceImage();
    expect((await upload(glimpse.url, small.id, randomBytes(1024 * 1024), ADMIN, { stage: true })).status).toBe(204);
    expect((await importImage(small.id, { method: { name: 'glance-direct' }, stores: ['fast'] })).status).toBe(202);
    await eventually(() => show(small.id), (image) => image.status === 'active');

    const second = await aliceImage();
    expect((await importImage(second.id, { method: { name: 'web-download', uri: `${webUrl}/image.raw` } })).status).toBe(202);
    expect((await failedTask(second.id)).message).toMatch(/exceeds the quota/);
    expect((await show(second.id)).status).toBe('queued');
    expect(readdirSync(join(dir, 'slow'))).not.toContain(second.id);
    expect(existsSync(join(dir, 'staging', second.id))).toBe(false);
  }, 60000);
});
