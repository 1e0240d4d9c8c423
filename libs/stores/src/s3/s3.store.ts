import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { finished, pipeline } from 'node:stream/promises';
import { Client } from 'minio';
import { ChecksumStream } from '../checksum.stream';
import { ConcurrencyLimit } from '../concurrency-limit';
import type { AddOptions, ByteRange, ImageData, StoreDriver, StoredImage } from '../store.driver';
import { StoreError } from '../store.errors';

const MIB = 1024 * 1024;
const DEFAULT_REGION = 'us-east-1';
/** S3's limits for one multipart upload. */
const MAX_PARTS = 10_000;
const MIN_PART_SIZE = 5 * MIB;
/** For a stream of unknown size the part size doubles every this many parts, so 10,000 parts hold ~10 TB. */
const PARTS_PER_SIZE_STEP = 1000;
const OCTET_STREAM = { 'Content-Type': 'application/octet-stream' };

/** Glance's [glance_store] s3 options, sizes in bytes (Glance's are MiB). */
export interface S3StoreSettings {
  /** s3_store_host: `http://host:port`, `https://host`, or a bare `host[:port]` (http, as Glance reads it). */
  host: string;
  /** s3_store_region_name; empty means us-east-1. */
  regionName: string;
  accessKey: string;
  secretKey: string;
  bucket: string;
  createBucketOnPut: boolean;
  bucketUrlFormat: 'auto' | 'path' | 'virtual';
  /** s3_store_large_object_size: images of this size or of unknown size are multipart. */
  largeObjectSize: number;
  /** s3_store_large_object_chunk_size: the size of each part. */
  largeObjectChunkSize: number;
  /** s3_store_thread_pools: parts sent at once. */
  threadPools: number;
}

export interface S3Endpoint {
  useSSL: boolean;
  hostname: string;
  port: number;
  /** host[:port] as locations carry it, without the scheme's default port. */
  netloc: string;
}

export interface S3Location {
  useSSL: boolean;
  netloc: string;
  bucket: string;
  key: string;
}

interface S3Object {
  bucket: string;
  key: string;
}

type Access = 'read' | 'write';

/** Parses s3_store_host; a bare host means http, as glance_store reads it. */
export function parseS3Endpoint(host: string): S3Endpoint {
  const invalid = new Error(`s3_store_host=${host} is not an http(s) URL or a host[:port]`);
  let url: URL;
  try {
    url = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(host) ? host : `http://${host}`);
  } catch {
    throw invalid;
  }
  const bare = url.pathname === '/' && !url.search && !url.hash && !url.username && !url.password;
  if (!['http:', 'https:'].includes(url.protocol) || !url.hostname || !bare) throw invalid;
  const useSSL = url.protocol === 'https:';
  return {
    useSSL,
    hostname: url.hostname.replace(/^\[(.*)\]$/, '$1'),
    port: url.port ? Number(url.port) : useSSL ? 443 : 80,
    netloc: url.host,
  };
}

/**
 * Reads s3://, s3+http:// and s3+https:// locations, also Glance's, which carry access:secret@
 * (ignored here). s3 and s3+http mean http.
 */
export function parseS3Location(location: string): S3Location {
  const match = /^(s3|s3\+https?):\/\/(.+)$/i.exec(location);
  if (!match) throw new StoreError('invalid_location', `Invalid S3 location ${withoutCredentials(location)}`);
  const useSSL = match[1].toLowerCase() === 's3+https';
  // An AWS secret key may contain '/', so the credentials end at the last '@', as in glance_store.
  const path = match[2].slice(match[2].lastIndexOf('@') + 1).split('/');
  const key = path.pop();
  const bucket = path.pop();
  const netloc = path.join('/');
  if (!key || !bucket || !netloc) throw new StoreError('invalid_location', `Invalid S3 location ${withoutCredentials(location)}`);
  return { useSSL, netloc: normalNetloc(netloc, useSSL), bucket, key };
}

/** Our locations never carry credentials. */
export function formatS3Location(endpoint: S3Endpoint, bucket: string, key: string): string {
  return `${endpoint.useSSL ? 's3+https' : 's3'}://${endpoint.netloc}/${bucket}/${key}`;
}

function withoutCredentials(location: string): string {
  return location.replace(/^([^:/]+:\/\/).*@/, '$1');
}

/** Lower case, without the default port; a netloc with a path is left as it is (never ours). */
function normalNetloc(netloc: string, useSSL: boolean): string {
  if (netloc.includes('/')) return netloc;
  try {
    return new URL(`${useSSL ? 'https' : 'http'}://${netloc}`).host;
  } catch {
    return netloc;
  }
}

const UNREACHABLE = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'EPIPE', 'ECONNABORTED']);
const MISSING = new Set(['NoSuchKey', 'NotFound']);
const REFUSED = new Set(['AccessDenied', 'AllAccessDisabled', 'InvalidAccessKeyId', 'SignatureDoesNotMatch']);
const FULL = new Set(['EntityTooLarge', 'QuotaExceeded']);
const OVERLOADED = new Set(['InternalError', 'ServiceUnavailable', 'SlowDown', 'RequestTimeout']);

function codeOf(error: unknown): string | undefined {
  const { code, errors } = (error ?? {}) as { code?: unknown; errors?: unknown };
  if (typeof code === 'string') return code;
  // net's happy-eyeballs connect reports every address it tried in an AggregateError.
  return Array.isArray(errors) ? codeOf(errors[0]) : undefined;
}

/** Maps a minio or network error to the StoreError the API answers with; others pass unchanged. */
export function s3StoreErrorOf(error: unknown, object: S3Object, access: Access): Error {
  if (error instanceof StoreError) return error;
  const code = codeOf(error) ?? '';
  const detail = describe(error);
  if (UNREACHABLE.has(code) || OVERLOADED.has(code)) {
    return new StoreError('unavailable', `The S3 store is unavailable (${detail})`);
  }
  if (MISSING.has(code) || (code === 'NoSuchBucket' && access === 'read')) {
    return new StoreError('not_found', `No data found for ${object.bucket}/${object.key}`);
  }
  if (code === 'NoSuchBucket') {
    return new StoreError('unavailable', `The S3 bucket ${object.bucket} (s3_store_bucket) does not exist`);
  }
  if (REFUSED.has(code)) {
    return access === 'write'
      ? new StoreError('write_denied', `Permission to write image storage media denied (${code}).`)
      : new StoreError('unavailable', `The S3 store refused to read ${object.bucket}/${object.key} (${code})`);
  }
  if (FULL.has(code)) return new StoreError('store_full', `There is not enough space in the S3 store (${code}).`);
  return error instanceof Error || messageOf(error) !== undefined ? (error as Error) : new Error(String(error));
}

function listed<T>(stream: NodeJS.ReadableStream): Promise<T[]> {
  return new Promise((resolve, reject) => {
    const items: T[] = [];
    stream.on('data', (item: T) => items.push(item)).once('end', () => resolve(items)).once('error', reject);
  });
}

/** Duck-typed: errors from node's core modules fail instanceof inside Jest's sandbox. */
function messageOf(error: unknown): string | undefined {
  const { message } = (error ?? {}) as { message?: unknown };
  return typeof message === 'string' ? message : undefined;
}

/**
 * Images as objects in one S3 bucket. An image below s3_store_large_object_size streams in one
 * PUT; a larger one, or one of unknown size, goes as a multipart upload whose parts are only
 * completed once the whole stream has passed its size and checksum checks, and is aborted otherwise.
 */
export class S3Store implements StoreDriver {
  readonly type = 's3';
  readonly capabilities = { read: true, write: true, randomAccess: true };
  private readonly endpoint: S3Endpoint;
  private readonly region: string;
  private readonly client: Client;

  constructor(private readonly settings: S3StoreSettings) {
    this.endpoint = parseS3Endpoint(settings.host);
    this.region = settings.regionName || DEFAULT_REGION;
    this.client = new Client({
      endPoint: this.endpoint.hostname,
      port: this.endpoint.port,
      useSSL: this.endpoint.useSSL,
      accessKey: settings.accessKey,
      secretKey: settings.secretKey,
      // A region of its own keeps minio from asking the bucket's location before each first use.
      region: this.region,
      // With pathStyle, minio still goes virtual-hosted on AWS's own endpoints: that is 'auto'.
      pathStyle: settings.bucketUrlFormat !== 'virtual',
      // A retry would resend a streamed body that has already been consumed.
      retryOptions: { disableRetry: true },
    });
    // Sign with UNSIGNED-PAYLOAD over http too, as minio does over https: a single PUT then
    // streams instead of being hashed in memory first. Parts carry Content-MD5.
    this.client.enableSHA256 = false;
  }

  /** Checks the options, then that the bucket is there (creating it when allowed). */
  async prepare(): Promise<void> {
    this.checkSettings();
    if (await this.bucketExists()) return;
    const { bucket, host } = this.settings;
    if (!this.settings.createBucketOnPut) {
      throw new Error(
        `s3_store_bucket=${bucket} does not exist on s3_store_host=${host}: create it or set s3_store_create_bucket_on_put = True`,
      );
    }
    try {
      await this.client.makeBucket(bucket, this.region);
    } catch (error) {
      if (codeOf(error) === 'BucketAlreadyOwnedByYou') return;
      throw new Error(`s3_store_bucket=${bucket} could not be created on s3_store_host=${host}: ${describe(error)}`);
    }
  }

  owns(location: string): boolean {
    try {
      this.keyOf(location);
      return true;
    } catch {
      return false;
    }
  }

  properties(): Record<string, unknown> {
    return {
      s3_store_large_object_size: this.settings.largeObjectSize / MIB,
      s3_store_large_object_chunk_size: this.settings.largeObjectChunkSize / MIB,
      s3_store_thread_pools: this.settings.threadPools,
    };
  }

  async add(imageId: string, data: Readable, options: AddOptions): Promise<StoredImage> {
    const checksums = new ChecksumStream(options);
    try {
      await this.refuseDuplicate(imageId);
      const { expectedSize } = options;
      if (expectedSize !== undefined && expectedSize < this.settings.largeObjectSize) {
        await this.putStreamed(imageId, data, checksums, expectedSize);
      } else {
        await this.putMultipart(imageId, data, checksums, this.partSizes(expectedSize));
      }
    } catch (error) {
      checksums.destroy();
      throw this.errorOf(error, imageId, 'write');
    }
    return checksums.storedAt(formatS3Location(this.endpoint, this.settings.bucket, imageId));
  }

  async get(location: string, range?: ByteRange): Promise<ImageData> {
    const key = this.keyOf(location);
    const size = await this.sizeOf(key);
    try {
      return { stream: await this.read(key, size, range), size };
    } catch (error) {
      throw this.errorOf(error, key, 'read');
    }
  }

  async size(location: string): Promise<number> {
    return this.sizeOf(this.keyOf(location));
  }

  /** S3 deletes a missing key without complaint; Glance answers not_found, so look first. */
  async delete(location: string): Promise<void> {
    const key = this.keyOf(location);
    await this.sizeOf(key);
    try {
      await this.client.removeObject(this.settings.bucket, key);
    } catch (error) {
      throw this.errorOf(error, key, 'write');
    }
  }

  /** Aborts the image's unfinished multipart uploads (their parts go with them), then its object. */
  async purgeUpload(imageId: string): Promise<void> {
    const { bucket } = this.settings;
    try {
      // Non-recursive: Swift's s3api lists no uploads for the empty delimiter a recursive listing sends.
      const uploads = await listed<{ key: string; uploadId: string }>(this.client.listIncompleteUploads(bucket, imageId, false));
      for (const upload of uploads.filter((u) => u.key === imageId)) {
        await this.client.abortMultipartUpload(bucket, upload.key, upload.uploadId);
      }
      await this.client.removeObject(bucket, imageId);
    } catch (error) {
      throw this.errorOf(error, imageId, 'write');
    }
  }

  private checkSettings(): void {
    const { accessKey, secretKey, bucket, largeObjectSize, largeObjectChunkSize, threadPools } = this.settings;
    const missing = Object.entries({ s3_store_access_key: accessKey, s3_store_secret_key: secretKey, s3_store_bucket: bucket })
      .filter(([, value]) => !value)
      .map(([name]) => name);
    if (missing.length > 0) throw new Error(`The S3 store needs ${missing.join(', ')}`);
    if (largeObjectChunkSize < MIN_PART_SIZE) {
      throw new Error(`s3_store_large_object_chunk_size=${largeObjectChunkSize / MIB} must be at least ${MIN_PART_SIZE / MIB} MiB`);
    }
    if (!(largeObjectSize > 0)) throw new Error(`s3_store_large_object_size=${largeObjectSize / MIB} must be positive`);
    if (!Number.isInteger(threadPools) || threadPools < 1) {
      throw new Error(`s3_store_thread_pools=${threadPools} must be a positive integer`);
    }
  }

  private async bucketExists(): Promise<boolean> {
    const { bucket, host } = this.settings;
    try {
      return await this.client.bucketExists(bucket);
    } catch (error) {
      const code = codeOf(error) ?? '';
      if (UNREACHABLE.has(code)) throw new Error(`s3_store_host=${host} cannot be reached: ${describe(error)}`);
      if (REFUSED.has(code)) {
        throw new Error(`s3_store_access_key and s3_store_secret_key are not accepted by s3_store_host=${host} for s3_store_bucket=${bucket}: ${describe(error)}`);
      }
      throw new Error(`s3_store_bucket=${bucket} on s3_store_host=${host} cannot be checked: ${describe(error)}`);
    }
  }

  /** The object key of a location of this host and bucket; anything else is invalid_location. */
  private keyOf(location: string): string {
    const parsed = parseS3Location(location);
    const ours =
      parsed.useSSL === this.endpoint.useSSL && parsed.netloc === this.endpoint.netloc && parsed.bucket === this.settings.bucket;
    if (!ours) {
      throw new StoreError('invalid_location', `Location ${withoutCredentials(location)} is not in the S3 store ${formatS3Location(this.endpoint, this.settings.bucket, '')}`);
    }
    return parsed.key;
  }

  private async sizeOf(key: string): Promise<number> {
    try {
      return (await this.client.statObject(this.settings.bucket, key)).size;
    } catch (error) {
      throw this.errorOf(error, key, 'read');
    }
  }

  private read(key: string, size: number, range?: ByteRange): Promise<Readable> {
    if (!range) return this.client.getObject(this.settings.bucket, key);
    const end = Math.min(range.end, size - 1);
    if (range.start > end) return Promise.resolve(Readable.from([]));
    return this.client.getPartialObject(this.settings.bucket, key, range.start, end - range.start + 1);
  }

  /** Glance refuses to overwrite an image's data (Duplicate). */
  private async refuseDuplicate(key: string): Promise<void> {
    try {
      await this.client.statObject(this.settings.bucket, key);
    } catch (error) {
      if (MISSING.has(codeOf(error) ?? '')) return;
      throw error;
    }
    throw new StoreError('duplicate', `Image ${key} already has data in the S3 store`);
  }

  /** One PUT of a known size, streamed: nothing is stored unless the server receives every byte. */
  private async putStreamed(key: string, data: Readable, checksums: ChecksumStream, size: number): Promise<void> {
    const request = { method: 'PUT', bucketName: this.settings.bucket, objectName: key, headers: { ...OCTET_STREAM, 'Content-Length': size } };
    const sending = this.client.makeRequestStreamAsync(request, checksums, '', [200], this.region);
    // A server that answers early (403, 413) must not leave the source waiting on backpressure.
    void sending.catch(() => checksums.destroy());
    const [fed, sent] = await Promise.allSettled([pipeline(data, checksums), sending]);
    if (sent.status === 'fulfilled') await finished(sent.value.resume());
    if (fed.status === 'fulfilled' && sent.status === 'fulfilled') return;
    if (sent.status === 'fulfilled') {
      // The server had every announced byte before the stream failed on the one after them.
      await this.client.removeObject(this.settings.bucket, key).catch(() => undefined);
    }
    throw causeOf(fed, sent);
  }

  /**
   * Parts of partSizes(n) bytes, s3_store_thread_pools at a time. The last part is held back, so a
   * stream that ends within one part is a single PUT, and completion waits for the checksum
   * stream's end, where a short stream fails.
   */
  private async putMultipart(key: string, data: Readable, checksums: ChecksumStream, partSizes: (index: number) => number): Promise<void> {
    const upload = new MultipartUpload(this.client, { bucket: this.settings.bucket, key }, this.settings.threadPools);
    let held: Buffer | null = null;
    try {
      await pipeline(data, checksums, async (source: AsyncIterable<Buffer>) => {
        for await (const part of partsOf(source, partSizes)) {
          if (held) await upload.add(held);
          held = part;
        }
      });
      const last: Buffer = held ?? Buffer.alloc(0);
      if (!upload.started) {
        await this.client.putObject(this.settings.bucket, key, last, last.length, OCTET_STREAM);
        return;
      }
      await upload.add(last);
      await upload.complete();
    } catch (error) {
      await upload.abort();
      throw error;
    }
  }

  /** Glance's part size: the chunk size, larger when the image would need more than 10,000 parts. */
  private partSizes(expectedSize: number | undefined): (index: number) => number {
    const chunk = this.settings.largeObjectChunkSize;
    if (expectedSize !== undefined) {
      const size = Math.max(chunk, Math.ceil(expectedSize / MAX_PARTS));
      return () => size;
    }
    return (index) => chunk * 2 ** Math.floor(index / PARTS_PER_SIZE_STEP);
  }

  private errorOf(error: unknown, key: string, access: Access): Error {
    return s3StoreErrorOf(error, { bucket: this.settings.bucket, key }, access);
  }
}

/** Cuts a byte stream into parts; part i has partSizes(i) bytes, the last one what remains. */
async function* partsOf(source: AsyncIterable<Buffer>, partSizes: (index: number) => number): AsyncGenerator<Buffer> {
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  let index = 0;
  for await (const chunk of source) {
    pending.push(chunk);
    pendingBytes += chunk.length;
    while (pendingBytes >= partSizes(index)) {
      const size = partSizes(index++);
      const joined = Buffer.concat(pending, pendingBytes);
      yield joined.subarray(0, size);
      pending = [joined.subarray(size)];
      pendingBytes -= size;
    }
  }
  if (pendingBytes > 0) yield Buffer.concat(pending, pendingBytes);
}

/** One multipart upload, begun with its first part; abort() waits for parts in flight first. */
class MultipartUpload {
  private uploadId: string | null = null;
  private readonly limit: ConcurrencyLimit;
  private readonly inFlight = new Set<Promise<void>>();
  private readonly parts: { part: number; etag: string }[] = [];
  private failure: { error: unknown } | null = null;
  private nextPart = 1;

  constructor(
    private readonly client: Client,
    private readonly object: S3Object,
    concurrency: number,
  ) {
    this.limit = new ConcurrencyLimit(concurrency);
  }

  get started(): boolean {
    return this.uploadId !== null;
  }

  /** Resolves once the part is on its way; rejects with the first failed part. */
  async add(body: Buffer): Promise<void> {
    const { bucket, key } = this.object;
    this.uploadId ??= await this.client.initiateNewMultipartUpload(bucket, key, OCTET_STREAM);
    const release = await this.limit.acquire();
    if (this.failure) {
      release();
      throw this.failure.error;
    }
    const part = this.nextPart++;
    const sending: Promise<void> = this.send(this.uploadId, part, body).finally(() => {
      release();
      this.inFlight.delete(sending);
    });
    this.inFlight.add(sending);
  }

  async complete(): Promise<void> {
    await Promise.all(this.inFlight);
    if (this.failure) throw this.failure.error;
    if (!this.uploadId) throw new Error('A multipart upload completes after its first part');
    const parts = [...this.parts].sort((a, b) => a.part - b.part);
    await this.client.completeMultipartUpload(this.object.bucket, this.object.key, this.uploadId, parts);
  }

  async abort(): Promise<void> {
    await Promise.all(this.inFlight);
    if (!this.uploadId) return;
    await this.client.abortMultipartUpload(this.object.bucket, this.object.key, this.uploadId).catch(() => undefined);
  }

  /** Never rejects: a failure is kept for add() and complete() to throw. */
  private async send(uploadId: string, part: number, body: Buffer): Promise<void> {
    try {
      const headers = { 'Content-MD5': createHash('md5').update(body).digest('base64') };
      const { bucket, key } = this.object;
      const { etag } = await this.client.uploadPart({ bucketName: bucket, objectName: key, uploadID: uploadId, partNumber: part, headers }, body);
      this.parts.push({ part, etag });
    } catch (error) {
      this.failure ??= { error };
    }
  }
}

/** The size checks' verdict first; else the server's answer over the broken pipe it caused. */
function causeOf(fed: PromiseSettledResult<void>, sent: PromiseSettledResult<unknown>): unknown {
  if (fed.status === 'rejected' && (fed.reason instanceof StoreError || sent.status === 'fulfilled')) return fed.reason;
  return sent.status === 'rejected' ? sent.reason : (fed as PromiseRejectedResult).reason;
}

function describe(error: unknown): string {
  const code = codeOf(error);
  const message = messageOf(error) ?? String(error);
  return code && !message.includes(code) ? `${code}: ${message}` : message;
}
