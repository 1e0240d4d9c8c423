import type { Readable } from 'node:stream';

/** Inclusive byte range, as HTTP's Range header counts. */
export interface ByteRange {
  start: number;
  end: number;
}

/** The kinds of backend Glimpse speaks, as Glance names them in enabled_backends. */
export type StoreType = 'file' | 's3' | 'swift' | 'http';

export interface StoreCapabilities {
  readonly read: boolean;
  readonly write: boolean;
  /** get() honours a byte range without reading from the start. */
  readonly randomAccess: boolean;
}

export interface AddOptions {
  /** Size the client announced; the stream must have exactly this many bytes. */
  expectedSize?: number;
  /** Bytes after which the add fails with too_large (image_size_cap). */
  maxSize: number;
  hashAlgo: 'sha512' | 'sha256';
}

/** What add() wrote: named fields, never a tuple. */
export interface StoredImage {
  location: string;
  size: number;
  checksum: string;
  hashAlgo: string;
  multihash: string;
}

export interface ImageData {
  stream: Readable;
  /** Total size of the stored object (not of the range). */
  size: number;
}

/**
 * The seam every backend implements: streaming in and out, never a whole image in memory.
 * Failures are StoreErrors. A location never carries credentials: they stay in the configuration.
 */
export interface StoreDriver {
  readonly type: StoreType;
  readonly capabilities: StoreCapabilities;
  /** Checks the configuration and the backend at start; throws a message naming the option. */
  prepare(): Promise<void>;
  /** Whether this driver, as configured, can serve the location (its scheme, host, container). */
  owns(location: string): boolean;
  get(location: string, range?: ByteRange): Promise<ImageData>;
  /** Writes atomically: on any failure nothing is left visible under the image's name. */
  add(imageId: string, data: Readable, options: AddOptions): Promise<StoredImage>;
  delete(location: string): Promise<void>;
  size(location: string): Promise<number>;
  /**
   * Removes whatever an add() of this image left behind when its process died: a partial file,
   * an unfinished multipart upload or its segments, an object the registry never recorded.
   * Only called for an image whose upload can no longer finish (it is killed). Nothing there is fine.
   */
  purgeUpload(imageId: string): Promise<void>;
  /** Non-secret facts for GET /v2/info/stores/detail (Glance's per-store "properties"). */
  properties(): Record<string, unknown>;
}
