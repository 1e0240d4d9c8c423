import { Transform, type TransformCallback } from 'node:stream';
import { hashWorker, newSessionId } from './hash-workers';
import type { StoredImage } from './store.driver';
import { StoreError } from './store.errors';

const SLOT_SIZE = 1024 * 1024;
const SLOT_COUNT = 4;

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
 * Memory per stream is SLOT_COUNT * SLOT_SIZE, whatever the image size.
 */
export class ChecksumStream extends Transform {
  private readonly session = newSessionId();
  private readonly workers;
  private readonly slots = Array.from({ length: SLOT_COUNT }, () => new SharedArrayBuffer(SLOT_SIZE));
  /** Per slot, how many workers still read it. */
  private readonly pending = new Array<number>(SLOT_COUNT).fill(0);
  private readonly digests = new Map<string, string>();
  private current = 0;
  private fill = 0;
  private bytes = 0;
  private waitingForSlot: (() => void) | null = null;
  private waitingForDigests: (() => void) | null = null;
  private result: Checksums | null = null;

  constructor(private readonly options: ChecksumOptions) {
    super({ highWaterMark: SLOT_SIZE });
    this.workers = [hashWorker('md5'), hashWorker(options.hashAlgo)];
    for (const worker of this.workers) {
      worker.begin(this.session, this.slots, {
        onAck: (slot) => this.release(slot),
        onDigest: (digest) => {
          this.digests.set(worker.algo, digest);
          if (this.digests.size === this.workers.length) this.waitingForDigests?.();
        },
      });
    }
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
    this.copyIntoSlots(chunk, 0).then(
      () => callback(null, chunk),
      (error: Error) => callback(error),
    );
  }

  override _flush(callback: TransformCallback): void {
    const { expectedSize } = this.options;
    if (expectedSize !== undefined && this.bytes !== expectedSize) {
      return callback(sizeMismatch(expectedSize, this.bytes));
    }
    if (this.fill > 0) this.dispatch();
    const done = new Promise<void>((resolve) => {
      this.waitingForDigests = resolve;
      if (this.digests.size === this.workers.length) resolve();
    });
    for (const worker of this.workers) worker.end(this.session);
    done.then(() => {
      this.result = {
        size: this.bytes,
        md5: this.digests.get('md5')!,
        hashAlgo: this.options.hashAlgo,
        multihash: this.digests.get(this.options.hashAlgo)!,
      };
      callback();
    }, callback);
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    if (!this.result) for (const worker of this.workers) worker.abort(this.session);
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

  private async copyIntoSlots(chunk: Buffer, from: number): Promise<void> {
    let offset = from;
    while (offset < chunk.length) {
      if (this.pending[this.current] > 0) await this.slotFree(this.current);
      const n = Math.min(SLOT_SIZE - this.fill, chunk.length - offset);
      chunk.copy(new Uint8Array(this.slots[this.current]), this.fill, offset, offset + n);
      this.fill += n;
      offset += n;
      if (this.fill === SLOT_SIZE) this.dispatch();
    }
  }

  private dispatch(): void {
    this.pending[this.current] = this.workers.length;
    for (const worker of this.workers) worker.update(this.session, this.current, this.fill);
    this.current = (this.current + 1) % SLOT_COUNT;
    this.fill = 0;
  }

  private slotFree(slot: number): Promise<void> {
    return new Promise((resolve) => {
      this.waitingForSlot = () => {
        if (this.pending[slot] === 0) {
          this.waitingForSlot = null;
          resolve();
        }
      };
    });
  }

  private release(slot: number): void {
    this.pending[slot] -= 1;
    this.waitingForSlot?.();
  }
}

function sizeMismatch(expected: number, actual: number): StoreError {
  return new StoreError(
    'size_mismatch',
    `Size of uploaded data (${actual} bytes) differs from the announced size of ${expected} bytes.`,
  );
}
