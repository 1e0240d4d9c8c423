import type { Readable } from 'node:stream';

/** Inclusive byte range, as HTTP's Range header counts. */
export interface ByteRange {
  start: number;
  end: number;
}

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
 * Failures are StoreErrors.
 */
export interface StoreDriver {
  readonly name: string;
  readonly schemes: readonly string[];
  readonly capabilities: StoreCapabilities;
  get(location: string, range?: ByteRange): Promise<ImageData>;
  add(imageId: string, data: Readable, options: AddOptions): Promise<StoredImage>;
  delete(location: string): Promise<void>;
  size(location: string): Promise<number>;
}
