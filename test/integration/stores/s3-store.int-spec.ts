import { createHash, randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { Client } from 'minio';
import { S3Store, type S3StoreSettings } from '@glimpse/stores';
import { reachable } from '../../support/services';
import { digestOf, describeStoreConformance, generated } from '../../support/store-conformance';

// A real OpenStack Swift with s3api (scripts/objstore/start.sh); the defaults are its own.
const MIB = 1024 * 1024;
const endpoint = new URL(process.env['OBJSTORE_ENDPOINT'] ?? 'http://127.0.0.1:18080');
const port = Number(endpoint.port || (endpoint.protocol === 'https:' ? 443 : 80));
const accessKey = process.env['OBJSTORE_ACCESS_KEY'] ?? 'test:tester';
const secretKey = process.env['OBJSTORE_SECRET_KEY'] ?? 'testing';
const region = process.env['OBJSTORE_REGION'] ?? 'us-east-1';
const bucket = `glimpse-conformance-${randomUUID().slice(0, 8)}`;

const settings: S3StoreSettings = {
  host: endpoint.origin,
  regionName: region,
  accessKey,
  secretKey,
  bucket,
  createBucketOnPut: true,
  bucketUrlFormat: 'path',
  // Small, so that the 200 MiB case and the 5 MiB break-off go multipart.
  largeObjectSize: 8 * MIB,
  largeObjectChunkSize: 5 * MIB,
  threadPools: 4,
};

/** Our own view of the bucket, past the driver. */
const s3 = new Client({
  endPoint: endpoint.hostname,
  port,
  useSSL: endpoint.protocol === 'https:',
  accessKey,
  secretKey,
  region,
  pathStyle: true,
});

function collect<T>(stream: NodeJS.ReadableStream): Promise<T[]> {
  return new Promise((resolve, reject) => {
    const items: T[] = [];
    stream.on('data', (item: T) => items.push(item)).on('end', () => resolve(items)).on('error', reject);
  });
}

/**
 * Objects and incomplete multipart uploads. s3api 2.30 answers an empty `delimiter=` with no
 * uploads at all, and minio sends one when listing recursively, so list with '/' (our keys have none).
 */
async function bucketContents(): Promise<string[]> {
  const objects = await collect<{ name?: string }>(s3.listObjectsV2(bucket, '', true));
  const uploads = await collect<{ key?: string }>(s3.listIncompleteUploads(bucket, '', false));
  return [...objects.map((o) => o.name ?? '?'), ...uploads.map((u) => `${u.key ?? '?'} (incomplete upload)`)];
}

async function removeBucket(): Promise<void> {
  for (const upload of await collect<{ key: string; uploadId: string }>(s3.listIncompleteUploads(bucket, '', false))) {
    await s3.abortMultipartUpload(bucket, upload.key, upload.uploadId);
  }
  const objects = await collect<{ name?: string }>(s3.listObjectsV2(bucket, '', true));
  await s3.removeObjects(bucket, objects.flatMap((o) => (o.name ? [o.name] : [])));
  await s3.removeBucket(bucket);
}

let opened: S3Store | null = null;

async function openStore(): Promise<S3Store> {
  if (opened) return opened;
  if (!(await reachable(endpoint.hostname, port))) {
    throw new Error(`The object store is not reachable at ${endpoint.origin}; start it with scripts/objstore/start.sh`);
  }
  const store = new S3Store(settings);
  await store.prepare();
  opened = store;
  return store;
}

afterAll(async () => {
  if (opened) await removeBucket();
});

describeStoreConformance('s3', {
  open: openStore,
  leftovers: bucketContents,
  largeBytes: 200 * MIB,
});

describe('s3 store against Swift s3api', () => {
  const options = { hashAlgo: 'sha512' as const, maxSize: 1024 * MIB };
  let store: S3Store;

  beforeAll(async () => {
    store = await openStore();
  });

  it('checksum is the image md5 even where a multipart ETag is not', async () => {
    const image = generated(12 * MIB + 5, 11);
    const stored = await store.add(randomUUID(), image.stream(), { ...options, expectedSize: 12 * MIB + 5 });
    const key = stored.location.split('/').pop() ?? '';
    const { etag } = await s3.statObject(bucket, key);
    expect(etag).toMatch(/-3$/);
    expect(etag).not.toContain(image.md5);
    expect(stored.checksum).toBe(image.md5);
    expect(stored.location).toBe(`s3://${endpoint.host}/${bucket}/${key}`);
  });

  it('writes a small image of known size as one object whose ETag is its md5', async () => {
    const image = generated(3 * MIB + 1, 12);
    const stored = await store.add(randomUUID(), image.stream(), { ...options, expectedSize: 3 * MIB + 1 });
    expect((await s3.statObject(bucket, stored.location.split('/').pop() ?? '')).etag).toBe(image.md5);
  });

  it('spreads an image of unknown size over parts, and reads back every byte', async () => {
    const image = generated(17 * MIB + 3, 13);
    const stored = await store.add(randomUUID(), image.stream(), options);
    expect(stored).toEqual(expect.objectContaining({ size: 17 * MIB + 3, checksum: image.md5, multihash: image.sha512 }));
    expect((await s3.statObject(bucket, stored.location.split('/').pop() ?? '')).etag).toMatch(/-4$/);
    expect(await digestOf((await store.get(stored.location)).stream)).toEqual({ size: 17 * MIB + 3, md5: image.md5, sha512: image.sha512 });
  });

  it('leaves nothing when a stream runs past its announced size exactly at a chunk boundary', async () => {
    // The server holds all announced bytes before the stream fails on the next one.
    const before = await bucketContents();
    const image = generated(3 * MIB, 14);
    await expect(store.add(randomUUID(), image.stream(), { ...options, expectedSize: 2 * MIB })).rejects.toEqual(
      expect.objectContaining({ failure: 'size_mismatch' }),
    );
    expect((await bucketContents()).sort()).toEqual(before.sort());
  });

  it('aborts a multipart upload that fails on its size after parts went up', async () => {
    const before = await bucketContents();
    const image = generated(20 * MIB, 15);
    await expect(store.add(randomUUID(), image.stream(), { ...options, maxSize: 16 * MIB })).rejects.toEqual(
      expect.objectContaining({ failure: 'too_large' }),
    );
    await expect(store.add(randomUUID(), image.stream(), { ...options, expectedSize: 20 * MIB + 1 })).rejects.toEqual(
      expect.objectContaining({ failure: 'size_mismatch' }),
    );
    expect((await bucketContents()).sort()).toEqual(before.sort());
  });

  it('refuses to overwrite an image that already has data (duplicate, 409)', async () => {
    const id = randomUUID();
    await store.add(id, Readable.from([Buffer.from('first')]), { ...options, expectedSize: 5 });
    await expect(store.add(id, Readable.from([Buffer.from('second')]), { ...options, expectedSize: 6 })).rejects.toEqual(
      expect.objectContaining({ failure: 'duplicate', code: 'conflict' }),
    );
    expect((await digestOf((await store.get(`s3://${endpoint.host}/${bucket}/${id}`)).stream)).md5).toBe(
      createHash('md5').update('first').digest('hex'),
    );
  });

  it('reads a Glance location carrying credentials with the configured ones', async () => {
    const id = randomUUID();
    await store.add(id, Readable.from([Buffer.from('glance')]), { ...options, expectedSize: 6 });
    const glance = `s3://wrong:credentials@${endpoint.host}/${bucket}/${id}`;
    expect(store.owns(glance)).toBe(true);
    expect(await store.size(glance)).toBe(6);
  });

  it('does not own an s3+https location of this host, another bucket or another host', async () => {
    const location = (await store.add(randomUUID(), Readable.from([Buffer.from('x')]), { ...options, expectedSize: 1 })).location;
    expect(store.owns(location.replace(/^s3:/, 's3+https:'))).toBe(false);
    expect(store.owns(location.replace(`/${bucket}/`, '/someone-elses-bucket/'))).toBe(false);
    expect(store.owns(location.replace(endpoint.host, `${endpoint.hostname}:1`))).toBe(false);
    await expect(store.size(location.replace(`/${bucket}/`, '/someone-elses-bucket/'))).rejects.toEqual(
      expect.objectContaining({ failure: 'invalid_location' }),
    );
  });

  it('answers unavailable from an endpoint that is down, and prepare() names the option', async () => {
    const down = new S3Store({ ...settings, host: `http://${endpoint.hostname}:1` });
    await expect(down.size(`s3://${endpoint.hostname}:1/${bucket}/${randomUUID()}`)).rejects.toEqual(
      expect.objectContaining({ failure: 'unavailable', code: 'unavailable' }),
    );
    await expect(down.prepare()).rejects.toThrow(`s3_store_host=http://${endpoint.hostname}:1 cannot be reached: connect ECONNREFUSED`);
  });

  it('prepare() names the bucket option when the bucket is missing and may not be created', async () => {
    const missing = `glimpse-missing-${randomUUID().slice(0, 8)}`;
    await expect(new S3Store({ ...settings, bucket: missing, createBucketOnPut: false }).prepare()).rejects.toThrow(
      `s3_store_bucket=${missing} does not exist on s3_store_host=${endpoint.origin}: create it or set s3_store_create_bucket_on_put = True`,
    );
  });

  it('prepare() names the credential options when the server refuses them', async () => {
    await expect(new S3Store({ ...settings, secretKey: 'wrong' }).prepare()).rejects.toThrow(
      /^s3_store_access_key and s3_store_secret_key are not accepted by s3_store_host=/,
    );
  });

  it('answers write_denied when the server refuses the credentials on add', async () => {
    const refused = new S3Store({ ...settings, secretKey: 'wrong' });
    await expect(refused.add(randomUUID(), Readable.from([Buffer.from('x')]), { ...options, expectedSize: 1 })).rejects.toEqual(
      expect.objectContaining({ failure: 'write_denied' }),
    );
  });
});
