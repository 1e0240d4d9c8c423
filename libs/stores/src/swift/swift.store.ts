import { randomUUID } from 'node:crypto';
import type { IncomingMessage, OutgoingHttpHeaders } from 'node:http';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { ChecksumStream } from '../checksum.stream';
import type { AddOptions, ByteRange, ImageData, StoreDriver, StoredImage } from '../store.driver';
import { StoreError, isStoreFailure } from '../store.errors';
import { type SwiftAuthSettings, type SwiftAuthenticator, type SwiftSession, SwiftTokens, loginFor, splitUser } from './swift-auth';
import { type Access, type BodyWriter, discard, duplicateError, failureOf, send, startPut, storeErrorOfStatus, textOf } from './swift-http';
import { type SwiftObject, formatSwiftLocation, ownsSwiftLocation, parseSwiftLocation, pathOf } from './swift-location';
import { PartsWritable, type WrittenPart } from './swift-upload';

export { SwiftTokens, type SwiftAuthenticator, type SwiftSession } from './swift-auth';

/** glance_store's "MB" for swift_store_large_object_size and _chunk_size: units.k * units.Ki bytes. */
export const GLANCE_SWIFT_MB = 1000 * 1024;

/** The [glance_store] swift options, sizes in bytes. */
export interface SwiftStoreSettings {
  /** swift_store_auth_address: Keystone (`…/v3`) or the v1.0 auth URL (`…/auth/v1.0`). */
  authAddress: string;
  /** swift_store_auth_version. */
  authVersion: '1' | '3';
  /** swift_store_user: `project:user` for Keystone v3, `account:user` for v1. */
  user: string;
  /** swift_store_key. */
  key: string;
  userDomainId?: string;
  projectDomainId?: string;
  /** swift_store_container (glance). */
  container?: string;
  /** swift_store_create_container_on_put (false). */
  createContainerOnPut?: boolean;
  /** swift_store_large_object_size × GLANCE_SWIFT_MB: from this size on (or of unknown size) an image is a Static Large Object. */
  largeObjectSize?: number;
  /** swift_store_large_object_chunk_size × GLANCE_SWIFT_MB: bytes per segment. */
  largeObjectChunkSize?: number;
  /** swift_store_region: the catalog region (Keystone v3 only). */
  region?: string;
  /** swift_store_endpoint_type (publicURL), Keystone v3 only. */
  endpointType?: 'publicURL' | 'internalURL' | 'adminURL';
  /** swift_store_endpoint: the storage URL, instead of the one from the catalog or the v1 login. */
  endpoint?: string;
  /** swift_store_service_type (object-store). */
  serviceType?: string;
}

type ResolvedSettings = Required<Omit<SwiftStoreSettings, 'region' | 'endpoint' | 'endpointType'>> & SwiftAuthSettings;

/** Swift's default max_manifest_segments: an SLO of more segments is refused. */
const SLO_MAX_SEGMENTS = 1000;
/** Deletes of segments run this many at a time. */
const DELETE_CONCURRENCY = 8;

/**
 * Images as objects in one Swift container (the single-tenant store of glance_store). An image
 * below largeObjectSize is one streamed PUT; a larger one, or one of unknown size, is a Static
 * Large Object whose segments go to `<container>_segments/<image id>/<upload id>/<n>`: a separate
 * container keeps the image container's listing to images, and the upload id keeps a failed or
 * concurrent upload from overwriting segments a stored manifest refers to. Only the manifest, put
 * last with If-None-Match, makes the image visible. Glance's DLOs (chunks `<id>-00001…` plus an
 * X-Object-Manifest) are read and deleted too.
 */
export class SwiftStore implements StoreDriver {
  readonly type = 'swift';
  readonly capabilities = { read: true, write: true, randomAccess: true };
  private readonly settings: ResolvedSettings;
  private readonly auth: SwiftAuthenticator;

  /** `auth` replaces the login of the settings, e.g. to hand out a token Swift has forgotten. */
  constructor(settings: SwiftStoreSettings, auth?: SwiftAuthenticator) {
    this.settings = withDefaults(settings);
    this.auth = auth ?? new SwiftTokens(loginFor(this.settings));
  }

  private get container(): string {
    return this.settings.container;
  }

  private get segmentsContainer(): string {
    return `${this.settings.container}_segments`;
  }

  /** Checks the options, logs in and makes sure of the container, naming the option that fails. */
  async prepare(): Promise<void> {
    this.checkSettings();
    await this.auth.session().catch((error: Error) => {
      throw new Error(error.message.includes('swift_store_') ? error.message : `swift_store_auth_address=${this.settings.authAddress}: ${error.message}`);
    });
    await this.ensureContainer(this.container).catch((error: Error) => {
      throw new Error(`swift_store_container=${this.container}: ${error.message}`);
    });
  }

  owns(location: string): boolean {
    try {
      return ownsSwiftLocation(parseSwiftLocation(location), this.container, this.settings.endpoint ?? this.auth.storageUrl);
    } catch {
      return false;
    }
  }

  /** As glance's /v2/info/stores/detail shows them: glance_store keeps the sizes in bytes. */
  properties(): Record<string, unknown> {
    return {
      container: this.container,
      large_object_size: this.settings.largeObjectSize,
      large_object_chunk_size: this.settings.largeObjectChunkSize,
    };
  }

  async add(imageId: string, data: Readable, options: AddOptions): Promise<StoredImage> {
    const image: SwiftObject = { container: this.container, object: imageId };
    const { expectedSize } = options;
    const segmented = expectedSize === undefined || expectedSize >= this.settings.largeObjectSize;
    if (expectedSize !== undefined && segmented) this.checkSegmentCount(Math.ceil(expectedSize / this.settings.largeObjectChunkSize));
    await this.ensureContainer(this.container);
    if (segmented) await this.ensureContainer(this.segmentsContainer);
    await this.refuseExisting(image);

    const checksums = new ChecksumStream(options);
    const parts = this.partsFor(image, segmented, expectedSize);
    try {
      await pipeline(data, checksums, parts);
      await this.commit(image, parts.written, segmented, checksums.checksums().md5);
    } catch (error) {
      await this.deleteAll(segmented ? parts.started : parts.written.map((part) => part.target));
      throw error;
    }
    return checksums.storedAt(formatSwiftLocation(this.storageUrl(), this.container, imageId));
  }

  async get(location: string, range?: ByteRange): Promise<ImageData> {
    const target = this.objectOf(location);
    const headers = range ? { Range: `bytes=${range.start}-${range.end}` } : {};
    const response = await this.request('GET', pathOf(target), headers);
    if (response.statusCode !== 200 && response.statusCode !== 206) throw await failureOf(response, 'read', describe(target));
    const size = totalSizeOf(response) ?? (await this.size(location));
    return { stream: response, size };
  }

  async size(location: string): Promise<number> {
    const target = this.objectOf(location);
    const response = await this.head(target, 'read');
    return Number(response.headers['content-length']);
  }

  /** Deletes as glance_store does: an SLO with its segments, a DLO's chunks and then its manifest. */
  async delete(location: string): Promise<void> {
    const target = this.objectOf(location);
    const response = await this.head(target, 'write');
    if (String(response.headers['x-static-large-object']).toLowerCase() === 'true') return this.deleteStaticLargeObject(target);
    const manifest = response.headers['x-object-manifest'];
    if (typeof manifest === 'string') await this.deleteDynamicSegments(manifest);
    await this.deleteObject(target);
  }

  /** The stored object (with the segments its manifest lists), then any segment an upload left. */
  async purgeUpload(imageId: string): Promise<void> {
    await this.delete(formatSwiftLocation(this.storageUrl(), this.container, imageId)).catch((error: unknown) => {
      if (!isStoreFailure(error, 'not_found')) throw error;
    });
    const segments = await this.listNames(this.segmentsContainer, `${imageId}/`);
    await this.deleteAll(segments.map((object) => ({ container: this.segmentsContainer, object })), true);
  }

  private partsFor(image: SwiftObject, segmented: boolean, expectedSize: number | undefined): PartsWritable {
    const uploadId = randomUUID();
    return new PartsWritable({
      partSize: segmented ? this.settings.largeObjectChunkSize : Infinity,
      totalSize: expectedSize,
      holdLastByte: !segmented,
      open: async (index, length) => {
        if (segmented) this.checkSegmentCount(index + 1);
        const target = segmented
          ? { container: this.segmentsContainer, object: `${image.object}/${uploadId}/${String(index + 1).padStart(8, '0')}` }
          : image;
        const headers: OutgoingHttpHeaders = { 'Content-Type': 'application/octet-stream' };
        if (length !== undefined) headers['Content-Length'] = length;
        if (!segmented) headers['If-None-Match'] = '*';
        return { target, body: await this.startBody(pathOf(target), headers, describe(target)) };
      },
      failureOf: (response, target) => failureOf(response, 'write', describe(target)),
    });
  }

  /** After every byte was stored: the manifest (or the empty object) makes the image visible. */
  private async commit(image: SwiftObject, written: readonly WrittenPart[], segmented: boolean, md5: string): Promise<void> {
    if (written.length === 0) return this.putEmpty(image);
    if (segmented) return this.putManifest(image, written);
    if (written[0].etag !== md5) {
      throw new StoreError('unavailable', `Swift stored ${describe(image)} with ETag ${written[0].etag}, not the upload's MD5 ${md5}`);
    }
  }

  private async putManifest(image: SwiftObject, segments: readonly WrittenPart[]): Promise<void> {
    const manifest = segments.map(({ target, etag, size }) => ({ path: `/${target.container}/${target.object}`, etag, size_bytes: size }));
    const response = await this.request(
      'PUT',
      `${pathOf(image)}?multipart-manifest=put`,
      { 'Content-Type': 'application/octet-stream', 'If-None-Match': '*' },
      Buffer.from(JSON.stringify(manifest)),
    );
    await this.expect(response, [201], 'write', image);
  }

  private async putEmpty(image: SwiftObject): Promise<void> {
    const headers = { 'Content-Type': 'application/octet-stream', 'If-None-Match': '*' };
    await this.expect(await this.request('PUT', pathOf(image), headers, Buffer.alloc(0)), [201], 'write', image);
  }

  /** A HEAD first, as glance_store does, so that a duplicate fails before any byte is read. */
  private async refuseExisting(image: SwiftObject): Promise<void> {
    const response = await this.request('HEAD', pathOf(image));
    discard(response);
    if (response.statusCode === 404) return;
    if (response.statusCode === 200) throw duplicateError(describe(image));
    throw storeErrorOfStatus(response.statusCode ?? 0, 'write', describe(image));
  }

  private async ensureContainer(container: string): Promise<void> {
    const path = `/${encodeURIComponent(container)}`;
    const head = await this.request('HEAD', path);
    discard(head);
    if (head.statusCode === 204 || head.statusCode === 200) return;
    if (head.statusCode !== 404) throw storeErrorOfStatus(head.statusCode ?? 0, 'write', `container ${container}`);
    if (!this.settings.createContainerOnPut) {
      throw new StoreError('unavailable', `container ${container} does not exist and swift_store_create_container_on_put is false`);
    }
    const created = await this.request('PUT', path, {}, Buffer.alloc(0));
    if (created.statusCode !== 201 && created.statusCode !== 202) throw await failureOf(created, 'write', `container ${container}`);
    discard(created);
  }

  private async deleteStaticLargeObject(target: SwiftObject): Promise<void> {
    const response = await this.request('DELETE', `${pathOf(target)}?multipart-manifest=delete`, { Accept: 'application/json' });
    await this.expect(response, [200], 'write', target, true);
    // Swift answers 200 and reports the outcome in the body.
    const report = JSON.parse(await textOf(response)) as { 'Response Status': string; Errors: unknown[] };
    const status = parseInt(report['Response Status'], 10);
    if (status !== 200) throw storeErrorOfStatus(status, 'write', describe(target), JSON.stringify(report.Errors));
  }

  /** X-Object-Manifest is `<container>/<prefix>`: every object with the prefix is a chunk. */
  private async deleteDynamicSegments(manifest: string): Promise<void> {
    const decoded = decodeURIComponent(manifest);
    const slash = decoded.indexOf('/');
    const container = decoded.slice(0, slash);
    const chunks = await this.listNames(container, decoded.slice(slash + 1));
    await this.deleteAll(chunks.map((object) => ({ container, object })), true);
  }

  private async listNames(container: string, prefix: string): Promise<string[]> {
    const names: string[] = [];
    for (;;) {
      const query = new URLSearchParams({ format: 'json', prefix, marker: names.at(-1) ?? '' });
      const response = await this.request('GET', `/${encodeURIComponent(container)}?${query}`);
      if (response.statusCode === 204 || response.statusCode === 404) {
        discard(response);
        return names;
      }
      await this.expect(response, [200], 'read', { container, object: `${prefix}*` }, true);
      const page = JSON.parse(await textOf(response)) as { name: string }[];
      if (page.length === 0) return names;
      names.push(...page.map((entry) => entry.name));
    }
  }

  /** Deletes objects a few at a time; with `strict`, a failure (other than not_found) is thrown. */
  private async deleteAll(targets: readonly SwiftObject[], strict = false): Promise<void> {
    for (let i = 0; i < targets.length; i += DELETE_CONCURRENCY) {
      const batch = targets.slice(i, i + DELETE_CONCURRENCY).map((target) =>
        this.deleteObject(target).catch((error: unknown) => {
          if (strict && !(error instanceof StoreError && error.failure === 'not_found')) throw error;
        }),
      );
      await Promise.all(batch);
    }
  }

  private async deleteObject(target: SwiftObject): Promise<void> {
    await this.expect(await this.request('DELETE', pathOf(target)), [204, 200], 'write', target);
  }

  private async head(target: SwiftObject, access: Access): Promise<IncomingMessage> {
    const response = await this.request('HEAD', pathOf(target));
    await this.expect(response, [200], access, target);
    return response;
  }

  /** Throws the StoreError for an unexpected status; drains the body unless the caller reads it. */
  private async expect(response: IncomingMessage, statuses: number[], access: Access, target: SwiftObject, keepBody = false): Promise<void> {
    if (!statuses.includes(response.statusCode ?? 0)) throw await failureOf(response, access, describe(target));
    if (!keepBody) discard(response);
  }

  private request(method: string, path: string, headers: OutgoingHttpHeaders = {}, body?: Buffer): Promise<IncomingMessage> {
    return this.authorized(
      (session) => send(method, session.storageUrl + path, { ...headers, 'X-Auth-Token': session.token }, body),
      (response) => response,
    );
  }

  private async startBody(path: string, headers: OutgoingHttpHeaders, what: string): Promise<BodyWriter> {
    const start = await this.authorized(
      (session) => startPut(session.storageUrl + path, { ...headers, 'X-Auth-Token': session.token }, what),
      (started) => ('refused' in started ? started.refused : undefined),
    );
    if ('refused' in start) throw await failureOf(start.refused, 'write', what);
    return start.body;
  }

  /** Runs a request with the cached token; when Swift answers 401, logs in again and runs it once more. */
  private async authorized<T>(attempt: (session: SwiftSession) => Promise<T>, responseOf: (result: T) => IncomingMessage | undefined): Promise<T> {
    const session = await this.auth.session();
    const first = await attempt(session);
    const response = responseOf(first);
    if (response?.statusCode !== 401) return first;
    discard(response);
    this.auth.invalidate(session.token);
    return attempt(await this.auth.session());
  }

  /** Known once a request has been made, as it has before any location is formed. */
  private storageUrl(): string {
    const url = this.settings.endpoint ?? this.auth.storageUrl;
    if (url === undefined) throw new Error('the Swift storage URL is not known before the first login');
    return url;
  }

  /** Locations this store does not own are refused, whatever their form. */
  private objectOf(location: string): SwiftObject {
    const parsed = parseSwiftLocation(location);
    if (!this.owns(location)) throw new StoreError('invalid_location', `Location ${location.replace(/\/\/.*@/, '//***@')} is not in swift_store_container=${this.container}`);
    return { container: parsed.container, object: parsed.object };
  }

  private checkSegmentCount(segments: number): void {
    if (segments > SLO_MAX_SEGMENTS) {
      throw new StoreError(
        'too_large',
        `The image needs more than ${SLO_MAX_SEGMENTS} segments of swift_store_large_object_chunk_size=${this.settings.largeObjectChunkSize} bytes`,
      );
    }
  }

  private checkSettings(): void {
    const { authAddress, authVersion, user, key, container, largeObjectSize, largeObjectChunkSize, endpoint } = this.settings;
    const fail = (message: string) => {
      throw new Error(message);
    };
    if (!isHttpUrl(authAddress)) fail(`swift_store_auth_address=${authAddress} is not an http(s) URL`);
    if (authVersion !== '1' && authVersion !== '3') fail(`swift_store_auth_version=${String(authVersion)} is not supported: use 1 or 3`);
    if (authVersion === '3') splitUser(user);
    if (!user || !key) fail('swift_store_user and swift_store_key are required');
    if (!container || container.includes('/')) fail(`swift_store_container=${container} is not a container name`);
    if (!(largeObjectSize > 0)) fail(`swift_store_large_object_size=${largeObjectSize} must be positive`);
    if (!(largeObjectChunkSize > 0)) fail(`swift_store_large_object_chunk_size=${largeObjectChunkSize} must be positive`);
    if (endpoint !== undefined && !isHttpUrl(endpoint)) fail(`swift_store_endpoint=${endpoint} is not an http(s) URL`);
  }
}

/** The login the settings describe, for a SwiftTokens of one's own. */
export function swiftLogin(settings: SwiftStoreSettings): () => Promise<SwiftSession> {
  return loginFor(withDefaults(settings));
}

function withDefaults(settings: SwiftStoreSettings): ResolvedSettings {
  return {
    userDomainId: 'default',
    projectDomainId: 'default',
    container: 'glance',
    createContainerOnPut: false,
    largeObjectSize: 5120 * GLANCE_SWIFT_MB,
    largeObjectChunkSize: 200 * GLANCE_SWIFT_MB,
    endpointType: 'publicURL',
    serviceType: 'object-store',
    ...withoutUndefined(settings),
  };
}

function describe({ container, object }: SwiftObject): string {
  return `${container}/${object}`;
}

/** The whole object's size: from Content-Range for a 206, from Content-Length otherwise. */
function totalSizeOf(response: IncomingMessage): number | undefined {
  const header = response.statusCode === 206 ? /\/(\d+)$/.exec(response.headers['content-range'] ?? '')?.[1] : response.headers['content-length'];
  return header === undefined ? undefined : Number(header);
}

function isHttpUrl(value: string): boolean {
  try {
    return ['http:', 'https:'].includes(new URL(value).protocol);
  } catch {
    return false;
  }
}

function withoutUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, entry]) => entry !== undefined)) as T;
}
