import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { type Server, createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type RunningGlimpse, startGlimpse } from '../support/glimpse';
import { ADMIN, ALICE, api, upload } from '../support/http';

/**
 * Glance's multi-store, through the API: two filesystem backends and a read-only http one, with
 * locations visible (show_multiple_locations) so that clients may add and remove them.
 */
describe('multi-store and locations (embedded)', () => {
  let dir: string;
  let glimpse: RunningGlimpse;
  let web: Server;
  let webUrl: string;
  const served = randomBytes(256 * 1024 + 3);
  const admin = () => api(glimpse.url, ADMIN);
  const alice = () => api(glimpse.url, ALICE);

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'glimpse-multistore-'));
    web = createServer((req, res) => {
      if (req.url !== '/images/served.img') return void res.writeHead(404).end();
      res.writeHead(200, { 'Content-Length': served.length, 'Accept-Ranges': 'bytes' });
      res.end(req.method === 'HEAD' ? undefined : served);
    });
    await new Promise<void>((resolve) => web.listen(0, '127.0.0.1', () => resolve()));
    webUrl = `http://127.0.0.1:${(web.address() as { port: number }).port}`;
    const config = join(dir, 'glimpse.conf');
    writeFileSync(config, [
      '[DEFAULT]',
      'enabled_backends = fast:file, slow:file, web:http',
      'show_multiple_locations = true',
      'show_image_direct_url = true',
      'image_location_quota = 3',
      'user_storage_quota = 1MB',
      '[glance_store]',
      'default_backend = slow',
      '[fast]',
      `filesystem_store_datadir = ${dir}/fast`,
      'store_description = Fast local disk',
      'weight = 100',
      '[slow]',
      `filesystem_store_datadir = ${dir}/slow`,
    ].join('\n'));
    glimpse = await startGlimpse('embedded', { GLIMPSE_CONFIG_FILE: config, GLIMPSE_AUTH_STRATEGY: 'trusted' });
  }, 60000);

  afterAll(async () => {
    await glimpse?.stop();
    await new Promise((resolve) => web?.close(resolve));
    rmSync(dir, { recursive: true, force: true });
  });

  async function activeImage(store: string | null, bytes: Buffer, who = ADMIN): Promise<any> {
    const image = (await api(glimpse.url, who).post('/v2/images', { name: 'm', disk_format: 'raw', container_format: 'bare' })).json();
    const res = await upload(glimpse.url, image.id, bytes, who, { headers: store ? { 'X-Image-Meta-Store': store } : {} });
    expect(res.status).toBe(204);
    return (await api(glimpse.url, who).get(`/v2/images/${image.id}`)).json();
  }

  it('lists the stores, with the default and the read-only one, and details for admins only', async () => {
    expect((await alice().get('/v2/info/stores')).json()).toEqual({
      stores: [{ id: 'fast', description: 'Fast local disk' }, { id: 'slow', default: 'true' }, { id: 'web', 'read-only': 'true' }],
    });
    const detail = (await admin().get('/v2/info/stores/detail')).json();
    expect(detail.stores[0]).toEqual({
      id: 'fast', description: 'Fast local disk', type: 'file', weight: 100,
      properties: { data_dir: join(dir, 'fast'), chunk_size: 1048576, thin_provisioning: false },
    });
    expect(detail.stores.map((s: any) => [s.id, s.type])).toEqual([['fast', 'file'], ['slow', 'file'], ['web', 'http']]);
    expect((await alice().get('/v2/info/stores/detail')).status).toBe(403);
  });

  it('names the stores on create and writes to the store the client asks for, else the default', async () => {
    const created = await admin().post('/v2/images', { name: 'x', disk_format: 'raw', container_format: 'bare' });
    expect(created.headers.get('openstack-image-store-ids')).toBe('fast,slow,web');
    const onFast = await activeImage('fast', randomBytes(1000));
    expect(readdirSync(join(dir, 'fast'))).toContain(onFast.id);
    expect([onFast.stores, onFast.locations[0].metadata, onFast.direct_url]).toEqual(['fast', { store: 'fast' }, `file://${dir}/fast/${onFast.id}`]);
    const onDefault = await activeImage(null, randomBytes(1000));
    expect([onDefault.stores, existsSync(join(dir, 'slow', onDefault.id))]).toEqual(['slow', true]);
  });

  it('refuses an unknown store with 400 and a read-only one with 410, leaving the image queued', async () => {
    const image = (await admin().post('/v2/images', { name: 'x', disk_format: 'raw', container_format: 'bare' })).json();
    const unknown = await upload(glimpse.url, image.id, randomBytes(10), ADMIN, { headers: { 'X-Image-Meta-Store': 'nowhere' } });
    expect([unknown.status, unknown.text]).toEqual([400, expect.stringContaining("Unknown scheme 'nowhere' found in URI")]);
    expect((await upload(glimpse.url, image.id, randomBytes(10), ADMIN, { headers: { 'X-Image-Meta-Store': 'web' } })).status).toBe(410);
    expect((await admin().get(`/v2/images/${image.id}`)).json().status).toBe('queued');
  });

  it('adds an http location, prefers the heavier store and falls back when its data is gone', async () => {
    const bytes = served;
    const image = await activeImage('fast', bytes);
    const added = await admin().patch(`/v2/images/${image.id}`, [{ op: 'add', path: '/locations/-', value: { url: `${webUrl}/images/served.img`, metadata: {} } }]);
    expect(added.status).toBe(200);
    expect(added.json().locations).toEqual([
      { url: `file://${dir}/fast/${image.id}`, metadata: { store: 'fast' } },
      { url: `${webUrl}/images/served.img`, metadata: { store: 'web' } },
    ]);
    expect(added.json().stores).toBe('fast,web');
    unlinkSync(join(dir, 'fast', image.id));
    const download = await fetch(`${glimpse.url}/v2/images/${image.id}/file`, { headers: { 'X-Roles': 'admin', 'X-Project-Id': 'admin-project', 'X-Identity-Status': 'Confirmed' } });
    expect(download.status).toBe(200);
    expect(Buffer.from(await download.arrayBuffer()).equals(bytes)).toBe(true);
  });

  it('removes a location with its data (admin only), never the last one', async () => {
    const image = await activeImage('fast', randomBytes(2000));
    await admin().patch(`/v2/images/${image.id}`, [{ op: 'add', path: '/locations/0', value: { url: `${webUrl}/images/served.img`, metadata: {} } }]);
    const denied = await alice().patch(`/v2/images/${image.id}`, [{ op: 'remove', path: '/locations/1' }]);
    expect(denied.status).toBe(404); // ALICE cannot even see an admin-project image
    const removed = await admin().patch(`/v2/images/${image.id}`, [{ op: 'remove', path: '/locations/1' }]);
    expect([removed.status, removed.json().locations.map((l: any) => l.metadata.store)]).toEqual([200, ['web']]);
    expect(existsSync(join(dir, 'fast', image.id))).toBe(false);
    const last = await admin().patch(`/v2/images/${image.id}`, [{ op: 'remove', path: '/locations/0' }]);
    expect([last.status, last.text]).toEqual([403, expect.stringContaining('Cannot remove last location in the image.')]);
  });

  it('lets a member add but not remove locations of its own image (delete_image_location is admin)', async () => {
    const image = await activeImage('fast', randomBytes(500), ALICE);
    const add = await alice().patch(`/v2/images/${image.id}`, [{ op: 'add', path: '/locations/-', value: { url: `${webUrl}/images/served.img`, metadata: {} } }]);
    expect(add.status).toBe(200);
    expect((await alice().patch(`/v2/images/${image.id}`, [{ op: 'remove', path: '/locations/0' }])).status).toBe(403);
  });

  it('activates a queued image from a location, with its size from the store and the validation data given', async () => {
    const image = (await admin().post('/v2/images', { name: 'external', disk_format: 'raw', container_format: 'bare' })).json();
    const md5 = createHash('md5').update(served).digest('hex');
    const sha512 = createHash('sha512').update(served).digest('hex');
    const res = await admin().patch(`/v2/images/${image.id}`, [{
      op: 'add', path: '/locations/-',
      value: { url: `${webUrl}/images/served.img`, metadata: {}, validation_data: { checksum: md5, os_hash_algo: 'sha512', os_hash_value: sha512 } },
    }]);
    expect(res.status).toBe(200);
    expect(res.json()).toEqual(expect.objectContaining({ status: 'active', size: served.length, checksum: md5, os_hash_value: sha512, stores: 'web' }));
    const ranged = await fetch(`${glimpse.url}/v2/images/${image.id}/file`, { headers: { Range: 'bytes=10-19', 'X-Roles': 'admin', 'X-Project-Id': 'admin-project', 'X-Identity-Status': 'Confirmed' } });
    expect([ranged.status, Buffer.from(await ranged.arrayBuffer()).equals(served.subarray(10, 20))]).toEqual([206, true]);
  });

  it.each([
    ['a file:// location', { url: 'file:///etc/passwd', metadata: {} }, 400, 'Invalid location'],
    ['a swift+config location', { url: 'swift+config://ref1/glance/x', metadata: {} }, 400, 'Invalid location'],
    ['a URL with nothing behind it', { url: 'http://127.0.0.1:1/none', metadata: {} }, 503, ''],
    ['a URL that answers 404', { url: 'WEB/images/absent.img', metadata: {} }, 400, 'Invalid location'],
    ['a location without metadata', { url: 'WEB/images/served.img' }, 400, "'metadata' is a required property"],
  ])('refuses %s', async (_what, value, status, message) => {
    const image = await activeImage('fast', randomBytes(100));
    const location = { ...value, url: value.url.replace('WEB', webUrl) };
    const res = await admin().patch(`/v2/images/${image.id}`, [{ op: 'add', path: '/locations/-', value: location }]);
    expect([res.status, res.text]).toEqual([status, expect.stringContaining(message)]);
  });

  it('enforces image_location_quota with 413 and refuses duplicates and bad positions with 400', async () => {
    const image = await activeImage('fast', randomBytes(100));
    const add = (value: unknown, path = '/locations/-') => admin().patch(`/v2/images/${image.id}`, [{ op: 'add', path, value }]);
    expect((await add({ url: `${webUrl}/images/served.img`, metadata: {} })).status).toBe(200);
    const duplicate = await add({ url: `${webUrl}/images/served.img`, metadata: { store: 'web' } });
    expect([duplicate.status, duplicate.text]).toEqual([400, expect.stringContaining('already exists')]);
    expect((await add({ url: `${webUrl}/images/served.img`, metadata: { copy: '2' } }, '/locations/9')).status).toBe(400);
    expect((await add({ url: `${webUrl}/images/served.img`, metadata: { copy: '2' } })).status).toBe(200);
    const over = await add({ url: `${webUrl}/images/served.img`, metadata: { copy: '3' } });
    expect([over.status, over.text]).toEqual([413, expect.stringContaining('Attempted: 4, Maximum: 3')]);
  });

  it('counts each location of an image against the owner\'s user_storage_quota (413 past it)', async () => {
    const image = await activeImage('fast', randomBytes(400 * 1024), ALICE);
    const add = (metadata: Record<string, string>) =>
      admin().patch(`/v2/images/${image.id}`, [{ op: 'add', path: '/locations/-', value: { url: `${webUrl}/images/served.img`, metadata } }]);
    expect((await add({})).status).toBe(200); // twice 400 KiB: under 1 MiB
    const over = await add({ copy: '2' }); // three times
    expect([over.status, over.text]).toEqual([413, expect.stringContaining('exceeds the quota')]);
    expect((await admin().get(`/v2/images/${image.id}`)).json().locations).toHaveLength(2);
  });
});

describe('single store (embedded, defaults)', () => {
  let glimpse: RunningGlimpse;
  beforeAll(async () => {
    glimpse = await startGlimpse('embedded');
  }, 60000);
  afterAll(() => glimpse?.stop());

  it('has no multi-store discovery and shows no locations', async () => {
    const client = api(glimpse.url);
    expect((await client.get('/v2/info/stores')).status).toBe(404);
    const created = await client.post('/v2/images', { name: 'x', disk_format: 'raw', container_format: 'bare' });
    expect(created.headers.get('openstack-image-store-ids')).toBeNull();
    await upload(glimpse.url, created.json().id, randomBytes(10), null);
    const shown = (await client.get(`/v2/images/${created.json().id}`)).json();
    expect(['stores', 'locations', 'direct_url'].filter((k) => k in shown)).toEqual([]);
    const patched = await client.patch(`/v2/images/${created.json().id}`, [{ op: 'add', path: '/locations/-', value: { url: 'http://x/y', metadata: {} } }]);
    expect([patched.status, patched.text]).toEqual([403, expect.stringContaining("It's not allowed to add locations if locations are invisible.")]);
  });
});
