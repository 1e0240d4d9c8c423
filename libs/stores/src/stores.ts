import { badRequest } from '@glimpse/contracts';
import type { BackendConfig, GlimpseConfig } from '@glimpse/config';
import { FilesystemStore } from './filesystem.store';
import { HttpStore } from './http/http.store';
import { S3Store } from './s3/s3.store';
import { GLANCE_SWIFT_MB, SwiftStore } from './swift/swift.store';

const MIB = 1024 * 1024;
import { StoreBackend, redacted } from './store-backend';
import type { ByteRange, ImageData, StoreDriver } from './store.driver';
import { StoreError, isStoreFailure } from './store.errors';

/**
 * The enabled stores. New data goes to the default one (or to the one a client names); a
 * location is served by the store its metadata names, else by the first store that owns it.
 */
export class Stores {
  constructor(
    private readonly backends: readonly StoreBackend[],
    private readonly defaultId: string,
    /** Glance's multi-store: locations carry their store id and images list their stores. */
    readonly multiStore: boolean,
  ) {}

  get default(): StoreBackend {
    const backend = this.find(this.defaultId);
    if (!backend) throw new Error(`default store ${this.defaultId} is not among the enabled stores`);
    return backend;
  }

  list(): readonly StoreBackend[] {
    return this.backends;
  }

  find(id: string): StoreBackend | undefined {
    return this.backends.find((b) => b.id === id);
  }

  /**
   * Deletes the data behind a location. Data that is already gone counts as deleted, and so does
   * data in a read-only store, which was never ours to delete (Glance's safe_delete_from_backend).
   */
  async discard(location: string, storeId?: string): Promise<void> {
    const backend = this.forLocation(location, storeId);
    if (!backend.capabilities.write) return;
    await backend.delete(location).catch((error: unknown) => {
      if (!isStoreFailure(error, 'not_found')) throw error;
    });
  }

  /**
   * Removes what an abandoned upload of the image left in any store it may have written to; every
   * store is tried, the first failure is thrown afterwards.
   */
  async purgeUpload(imageId: string): Promise<void> {
    const failures: unknown[] = [];
    for (const backend of this.backends) await backend.purgeUpload(imageId).catch((error: unknown) => failures.push(error));
    if (failures.length > 0) throw failures[0];
  }

  /** An image's active locations, most preferred first: by store weight, then in stored order. */
  ordered<L extends StoredLocation>(locations: readonly L[]): L[] {
    return locations
      .filter((location) => location.status === undefined || location.status === 'active')
      .map((location, index) => ({ location, index, weight: this.weightOf(location) }))
      .sort((a, b) => b.weight - a.weight || a.index - b.index)
      .map(({ location }) => location);
  }

  /**
   * Opens the data of the first location that can be read, in preference order; an unreadable
   * one is skipped (the download falls back to the next store). `rangeOf` is asked once the size
   * is known. Throws the last store error when no location can be read.
   */
  async open(locations: readonly StoredLocation[], options: OpenOptions = {}): Promise<OpenedData> {
    let lastError: unknown = new StoreError('not_found', 'The image has no active location.');
    for (const location of this.ordered(locations)) {
      try {
        const backend = this.forLocation(location.url, storeIdOf(location));
        const size = options.size ?? (await backend.size(location.url));
        const range = size > 0 && options.rangeOf ? options.rangeOf(size) : null;
        if (range && !backend.capabilities.randomAccess) throw badRequest('The store of this image does not support ranges.');
        return { data: await backend.get(location.url, range ?? undefined), range, store: backend };
      } catch (error) {
        if (!(error instanceof StoreError)) throw error;
        options.onSkip?.(location, error);
        lastError = error;
      }
    }
    throw lastError;
  }

  forLocation(location: string, storeId?: string): StoreBackend {
    const named = storeId === undefined ? undefined : this.find(storeId);
    if (named?.owns(location)) return named;
    const owner = this.backends.find((b) => b.owns(location));
    if (!owner) throw new StoreError('invalid_location', `No enabled store serves location ${redacted(location)}`);
    return owner;
  }

  private weightOf(location: StoredLocation): number {
    const id = storeIdOf(location);
    const backend = id === undefined ? undefined : this.find(id);
    if (backend) return backend.weight;
    return this.backends.find((b) => b.owns(location.url))?.weight ?? 0;
  }
}

/** A location as the registry records it; metadata.store names its store in multi-store mode. */
export interface StoredLocation {
  url: string;
  metadata: Record<string, unknown>;
  status?: string;
}

export interface OpenOptions {
  /** The image's size when known (saves a size request to the store). */
  size?: number;
  rangeOf?: (size: number) => ByteRange | null;
  onSkip?: (location: StoredLocation, error: StoreError) => void;
}

export interface OpenedData {
  data: ImageData;
  range: ByteRange | null;
  store: StoreBackend;
}

export function storeIdOf(location: StoredLocation): string | undefined {
  const store = location.metadata['store'];
  return typeof store === 'string' ? store : undefined;
}

/** Makes the driver of one configured store. */
export function driverOf(backend: BackendConfig): StoreDriver {
  const options = backend.options;
  switch (backend.type) {
    case 'file':
      return new FilesystemStore(options.filesystem_store_datadir);
    case 'http':
      return new HttpStore({ timeoutMs: options.http_store_timeout * 1000 });
    case 's3':
      return new S3Store({
        host: required(backend, 's3_store_host'),
        regionName: options.s3_store_region_name,
        accessKey: required(backend, 's3_store_access_key'),
        secretKey: required(backend, 's3_store_secret_key'),
        bucket: required(backend, 's3_store_bucket'),
        createBucketOnPut: options.s3_store_create_bucket_on_put,
        bucketUrlFormat: options.s3_store_bucket_url_format,
        largeObjectSize: options.s3_store_large_object_size * MIB,
        largeObjectChunkSize: options.s3_store_large_object_chunk_size * MIB,
        threadPools: options.s3_store_thread_pools,
      });
    case 'swift':
      return new SwiftStore({
        authAddress: required(backend, 'swift_store_auth_address'),
        authVersion: options.swift_store_auth_version,
        user: required(backend, 'swift_store_user'),
        key: required(backend, 'swift_store_key'),
        userDomainId: options.swift_store_user_domain_id,
        projectDomainId: options.swift_store_project_domain_id,
        container: options.swift_store_container,
        createContainerOnPut: options.swift_store_create_container_on_put,
        largeObjectSize: options.swift_store_large_object_size * GLANCE_SWIFT_MB,
        largeObjectChunkSize: options.swift_store_large_object_chunk_size * GLANCE_SWIFT_MB,
        region: options.swift_store_region ?? undefined,
        endpointType: options.swift_store_endpoint_type,
        endpoint: options.swift_store_endpoint ?? undefined,
        serviceType: options.swift_store_service_type,
      });
    default:
      throw new Error(`store ${backend.id}: type ${backend.type} is not supported`);
  }
}

function required(backend: BackendConfig, option: 's3_store_host' | 's3_store_access_key' | 's3_store_secret_key' | 's3_store_bucket' | 'swift_store_auth_address' | 'swift_store_user' | 'swift_store_key'): string {
  const value = backend.options[option];
  if (!value) throw new Error(`store ${backend.id} (${backend.type}): ${option} must be set`);
  return value;
}

/** The enabled stores, each checked at start (a store that cannot be used stops the app, naming it). */
export async function openStores(config: GlimpseConfig, make: (backend: BackendConfig) => StoreDriver = driverOf): Promise<Stores> {
  const backends = config.backends.map(
    (backend) =>
      new StoreBackend(make(backend), {
        id: backend.id,
        description: backend.options.store_description,
        weight: backend.options.weight,
        maxConcurrency: backend.options.store_max_concurrency,
      }),
  );
  await Promise.all(
    backends.map((backend) =>
      backend.driver.prepare().catch((error: Error) => {
        throw new Error(`store ${backend.id} (${backend.type}): ${error.message}`);
      }),
    ),
  );
  const defaultId = config.multiStore ? config.glance_store.default_backend! : config.glance_store.default_store;
  return new Stores(backends, defaultId, config.multiStore);
}
