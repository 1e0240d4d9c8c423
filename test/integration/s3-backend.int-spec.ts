import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'minio';
import { type RunningApp, type RunningGlimpse, startApp, startGlimpse } from '../support/glimpse';
import { hangingUpload } from '../support/hanging-upload';
import { api, upload } from '../support/http';
import { TcpRelay } from '../support/tcp-relay';
import { eventually } from '../support/eventually';

const MIB = 1024 * 1024;
const endpoint = new URL(process.env['OBJSTORE_ENDPOINT'] ?? 'http://127.0.0.1:18080');
const accessKey = process.env['OBJSTORE_ACCESS_KEY'] ?? 'test:tester';
const secretKey = process.env['OBJSTORE_SECRET_KEY'] ?? 'testing';
const s3 = new Client({ endPoint: endpoint.hostname, port: Number(endpoint.port), useSSL: false, accessKey, secretKey, region: 'us-east-1', pathStyle: true });

async function objectNames(bucket: string): Promise<string[]> {
  const names: string[] = [];
  for await (const item of s3.listObjectsV2(bucket, '', true)) names.push((item as { name: string }).name);
  return names;
}

/** A cluster (NATS, MariaDB) whose default store is S3 on the real Swift s3api, beside a file store. */
describe('S3 backend through the API (cluster)', () => {
  const bucket = `glimpse-api-${randomUUID().slice(0, 8)}`;
  const relay = new TcpRelay(endpoint.hostname, Number(endpoint.port));
  let dir: string;
  let glimpse: RunningGlimpse;

  beforeAll(async () => {
    await relay.start();
    dir = mkdtempSync(join(tmpdir(), 'glimpse-s3-backend-'));
    const config = join(dir, 'glimpse.conf');
    writeFileSync(config, [
      '[DEFAULT]',
      'enabled_backends = local:file, objects:s3',
      'show_multiple_locations = true',
      `node_staging_uri = file://${dir}/staging`,
      '[glance_store]',
      'default_backend = objects',
      '[local]',
      `filesystem_store_datadir = ${dir}/local`,
      '[objects]',
      'weight = 10',
      `s3_store_host = http://127.0.0.1:${relay.port}`,
      `s3_store_access_key = ${accessKey}`,
      `s3_store_secret_key = ${secretKey}`,
      `s3_store_bucket = ${bucket}`,
      's3_store_create_bucket_on_put = true',
      's3_store_large_object_size = 8',
      's3_store_large_object_chunk_size = 5',
    ].join('\n'));
    glimpse = await startGlimpse('cluster', { GLIMPSE_CONFIG_FILE: config, GLIMPSE_ABANDONED_UPLOAD_TIMEOUT: '2' });
  }, 90000);

  afterAll(async () => {
    await glimpse?.stop();
    await relay.stop();
    for (const name of await objectNames(bucket).catch(() => [])) await s3.removeObject(bucket, name);
    await s3.removeBucket(bucket).catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  });

  it('uploads to S3 (multipart), serves it whole and by range, and deletes the object with the image', async () => {
    const client = api(glimpse.url);
    const bytes = randomBytes(21 * MIB + 5);
    const image = (await client.post('/v2/images', { name: 'on-s3', disk_format: 'raw', container_format: 'bare' })).json();
    expect((await upload(glimpse.url, image.id, bytes, null, { chunked: true })).status).toBe(204);

    const shown = (await client.get(`/v2/images/${image.id}`)).json();
    expect(shown).toEqual(expect.objectContaining({ status: 'active', size: bytes.length, checksum: createHash('md5').update(bytes).digest('hex'), stores: 'objects' }));
    expect(shown.locations).toEqual([{ url: `s3://127.0.0.1:${relay.port}/${bucket}/${image.id}`, metadata: { store: 'objects' } }]);
    expect(await objectNames(bucket)).toEqual([image.id]);

    const whole = await fetch(`${glimpse.url}/v2/images/${image.id}/file`);
    expect(Buffer.from(await whole.arrayBuffer()).equals(bytes)).toBe(true);
    const ranged = await fetch(`${glimpse.url}/v2/images/${image.id}/file`, { headers: { Range: `bytes=${10 * MIB}-${10 * MIB + 99}` } });
    expect([ranged.status, ranged.headers.get('content-range')]).toEqual([206, `bytes ${10 * MIB}-${10 * MIB + 99}/${bytes.length}`]);
    expect(Buffer.from(await ranged.arrayBuffer()).equals(bytes.subarray(10 * MIB, 10 * MIB + 100))).toBe(true);

    expect((await client.del(`/v2/images/${image.id}`)).status).toBe(204);
    expect(await objectNames(bucket)).toEqual([]);
  }, 60000);

  it('writes to the file store when the client names it, and lists both stores', async () => {
    const client = api(glimpse.url);
    const image = (await client.post('/v2/images', { name: 'local', disk_format: 'raw', container_format: 'bare' })).json();
    expect((await upload(glimpse.url, image.id, randomBytes(1000), null, { headers: { 'X-Image-Meta-Store': 'local' } })).status).toBe(204);
    expect((await client.get(`/v2/images/${image.id}`)).json().stores).toBe('local');
    expect((await client.get('/v2/info/stores/detail')).json().stores.map((s: any) => [s.id, s.type, s.properties])).toEqual([
      ['local', 'file', { data_dir: join(dir, 'local'), chunk_size: MIB, thin_provisioning: false }],
      ['objects', 's3', { s3_store_large_object_size: 8, s3_store_large_object_chunk_size: 5, s3_store_thread_pools: 10 }],
    ]);
  });

  it('imports to every store, and with the object store down serves from the next location and reports a partial import', async () => {
    const client = api(glimpse.url);
    const bytes = randomBytes(2 * MIB + 1);
    const both = (await client.post('/v2/images', { name: 'both', disk_format: 'raw', container_format: 'bare' })).json();
    await upload(glimpse.url, both.id, bytes, null, { stage: true });
    expect((await client.post(`/v2/images/${both.id}/import`, { method: { name: 'glance-direct' }, all_stores: true })).status).toBe(202);
    const imported = await eventually(async () => (await client.get(`/v2/images/${both.id}`)).json(), (image) => image.status === 'active');
    expect(imported.stores).toBe('local,objects');

    await relay.stop();
    try {
      const download = await fetch(`${glimpse.url}/v2/images/${both.id}/file`);
      expect([download.status, Buffer.from(await download.arrayBuffer()).equals(bytes)]).toEqual([200, true]);

      const partial = (await client.post('/v2/images', { name: 'partial', disk_format: 'raw', container_format: 'bare' })).json();
      await upload(glimpse.url, partial.id, bytes, null, { stage: true });
      const body = { method: { name: 'glance-direct' }, stores: ['objects', 'local'], all_stores_must_succeed: false };
      expect((await client.post(`/v2/images/${partial.id}/import`, body)).status).toBe(202);
      const done = await eventually(async () => (await client.get(`/v2/images/${partial.id}`)).json(), (image) => image.status !== 'importing' && image.status !== 'uploading');
      expect([done.status, done.stores, done.os_glance_failed_import]).toEqual(['active', 'local', 'objects']);

      const strict = (await client.post('/v2/images', { name: 'strict', disk_format: 'raw', container_format: 'bare' })).json();
      await upload(glimpse.url, strict.id, bytes, null, { stage: true });
      expect((await client.post(`/v2/images/${strict.id}/import`, { ...body, all_stores_must_succeed: true })).status).toBe(202);
      const reverted = await eventually(async () => (await client.get(`/v2/images/${strict.id}`)).json(), (image) => image.status === 'queued');
      expect([reverted.os_glance_failed_import, reverted.os_glance_import_task]).toEqual(['objects', undefined]);
      expect(readdirSync(join(dir, 'local'))).not.toContain(strict.id);
    } finally {
      await relay.start();
    }
  }, 60000);

  it('aborts the multipart upload of an API killed mid-upload: the image is killed, no part stays', async () => {
    const image = (await api(glimpse.url).post('/v2/images', { name: 'abandoned', disk_format: 'raw', container_format: 'bare' })).json();
    const unfinished = async () => {
      const uploads: string[] = [];
      // Non-recursive: s3api lists nothing for the empty delimiter of a recursive listing.
      for await (const item of s3.listIncompleteUploads(bucket, image.id, false)) uploads.push((item as { key: string }).key);
      return uploads;
    };
    const hanging = hangingUpload(glimpse.url, image.id, 64 * MIB, 12 * MIB);
    await eventually(unfinished, (uploads) => uploads.length > 0);
    await glimpse.crash(); // the API only: registry, NATS and S3 stay
    hanging.abort();
    let api2: RunningApp | null = null;
    try {
      api2 = await startApp(glimpse, 'api', 'GLIMPSE_BIND_PORT');
      await eventually(async () => (await api(api2!.url).get(`/v2/images/${image.id}`)).json().status, (status) => status === 'killed', 15000);
      await eventually(unfinished, (uploads) => uploads.length === 0);
      expect(await objectNames(bucket)).not.toContain(image.id);
      expect((await api(api2.url).del(`/v2/images/${image.id}`)).status).toBe(204);
    } finally {
      await api2?.stop();
    }
  }, 60000);
});
