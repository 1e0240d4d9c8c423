import { Transform, type TransformCallback } from 'node:stream';
import { WorkerDigests } from './worker-digests';
import type { StoredImage } from './store.driver';
import { StoreError } from './store.errors';

export interface Checksums {
  size: number;
  md5: string;
  hashAlgo: string;
  multihash: string;
}

export interface ChecksumOptions {
  hashAlgo: string;
  expectedSize?: number;
  maxSize: number;
}

/**
 * Passes bytes through unchanged while md5 and the multihash are computed in parallel on worker
 * threads, and enforces the expected size and the size cap in the same pass.
 * Memory per stream is that of its WorkerDigests, whatever the image size.
 */
export class ChecksumStream extends Transform {
  private readonly digests: WorkerDigests;
  private bytes = 0;
  private result: Checksums | null = null;

  constructor(private readonly options: ChecksumOptions) {
    super({ highWaterMark: 1024 * 1024 });
    this.digests = new WorkerDigests(['md5', options.hashAlgo]);
  }

  /** What a driver reports for data written through this stream to `location`. */
  storedAt(location: string): StoredImage {
    const sums = this.checksums();
    return { location, size: sums.size, checksum: sums.md5, hashAlgo: sums.hashAlgo, multihash: sums.multihash };
  }

  /** Size and digests, once the stream has finished. */
  checksums(): Checksums {
    if (!this.result) throw new Error('checksums read before the stream finished');
    return this.result;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.bytes += chunk.length;
    const sizeError = this.checkRunningSize();
    if (sizeError) return callback(sizeError);
    this.digests.update(chunk).then(
      () => callback(null, chunk),
      (error: Error) => callback(error),
    );
  }

  override _flush(callback: TransformCallback): void {
    const { expectedSize } = this.options;
    if (expectedSize !== undefined && this.bytes !== expectedSize) {
      return callback(sizeMismatch(expectedSize, this.bytes));
    }
    this.digests.digest().then((digests) => {
      this.result = {
        size: this.bytes,
        md5: digests.get('md5')!,
        hashAlgo: this.options.hashAlgo,
        multihash: digests.get(this.options.hashAlgo)!,
      };
      callback();
    }, callback);
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    if (!this.result) this.digests.abort();
    callback(error);
  }

  private checkRunningSize(): StoreError | null {
    if (this.bytes > this.options.maxSize) {
      return new StoreError('too_large', `The image is larger than the limit of ${this.options.maxSize} bytes.`);
    }
    const { expectedSize } = this.options;
    if (expectedSize !== undefined && this.bytes > expectedSize) return sizeMismatch(expectedSize, this.bytes);
    return null;
  }
}

function sizeMismatch(expected: number, actual: number): StoreError {
  return new StoreError(
    'size_mismatch',
    `Size of uploaded data (${actual} bytes) differs from the announced size of ${expected} bytes.`,
  );
}
