import { type FileHandle, open, rename, rm } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { WorkerDigests } from '@glimpse/stores';

/** What a fill must produce: the image's size and, when the registry has them, its digests. */
export interface FillTarget {
  imageId: string;
  size: number;
  hashAlgo: string | null;
  hashValue: string | null;
  checksum: string | null;
}

export interface FillPaths {
  incomplete: string;
  cached: string;
  invalid: string;
}

export class FillError extends Error {
  constructor(
    message: string,
    /** The bytes arrived but were wrong (the file went to invalid/), as opposed to an origin that failed. */
    readonly invalid: boolean,
  ) {
    super(message);
    this.name = 'FillError';
  }
}

type State = 'filling' | 'verified' | 'failed';

interface Settle {
  resolve(): void;
  reject(error: Error): void;
}

const READ_CHUNK = 1024 * 1024;

/** The digest a fill is checked against: os_hash_value when known, else the md5 checksum. */
function expectedDigest(target: FillTarget): { algo: string; value: string } | null {
  if (target.hashAlgo && target.hashValue) return { algo: target.hashAlgo, value: target.hashValue };
  if (target.checksum) return { algo: 'md5', value: target.checksum };
  return null;
}

/**
 * One image being copied from its origin into `incomplete/<id>`, hashed on the way. Every client
 * of the image reads the growing file (so there is exactly one origin read), but never its last
 * byte before the whole file is verified: a mismatch cuts every reader short of a complete body,
 * moves the file to `invalid/`, and nothing is ever served from it. A verified file is renamed
 * into place; only then does the index learn of it.
 */
export class CacheFill {
  private written = 0;
  private state: State = 'filling';
  private failure: Error | null = null;
  private waiters: (() => void)[] = [];
  /** Resolves with the file's mtime once it is in place; rejects when the fill fails. */
  readonly done: Promise<{ mtimeMs: number }>;
  /** Resolves once the origin answered, so that a client gets an error status instead of a cut body. */
  readonly started: Promise<void>;

  constructor(
    readonly target: FillTarget,
    private readonly paths: FillPaths,
    origin: () => Promise<Readable>,
    /** Hears the bytes of each chunk once it is written. */
    private readonly onWritten: (bytes: number) => void = () => undefined,
  ) {
    let settle: Settle = { resolve: () => undefined, reject: () => undefined };
    this.started = new Promise((resolve, reject) => (settle = { resolve, reject }));
    this.done = this.run(origin, settle);
    // Followers observe failures through `state`; nobody may be left with an unhandled rejection.
    this.done.catch(() => undefined);
    this.started.catch(() => undefined);
  }

  get bytesWritten(): number {
    return this.written;
  }

  /** The bytes a reader may have: all once verified, otherwise all but the last. */
  private servable(): number {
    return this.state === 'verified' ? this.target.size : Math.min(this.written, Math.max(0, this.target.size - 1));
  }

  /** The bytes start..end (inclusive) of the image, as they arrive. */
  reader(start = 0, end = this.target.size - 1): Readable {
    return Readable.from(this.follow(start, end), { objectMode: false, highWaterMark: READ_CHUNK });
  }

  /**
   * Resolves with how many bytes from the start may be served, once that is more than
   * `position`; rejects when the fill failed. The one gate every reader goes through.
   */
  async available(position: number): Promise<number> {
    for (;;) {
      if (this.state === 'failed') throw this.failure ?? new Error('cache fill failed');
      const limit = this.servable();
      if (position < limit) return limit;
      await this.progress();
    }
  }

  private async *follow(start: number, end: number): AsyncGenerator<Buffer> {
    const file = await this.openFile();
    try {
      let position = start;
      while (position <= end) {
        const limit = await this.available(position);
        const length = Math.min(READ_CHUNK, limit - position, end + 1 - position);
        const buffer = Buffer.allocUnsafe(length);
        const { bytesRead } = await file.read(buffer, 0, length, position);
        if (bytesRead === 0) throw new Error(`cache file of ${this.target.imageId} ended early`);
        position += bytesRead;
        yield buffer.subarray(0, bytesRead);
      }
    } finally {
      await file.close();
    }
  }

  /** The file being filled, or the cached one when it was renamed into place meanwhile. */
  async openFile(): Promise<FileHandle> {
    try {
      return await open(this.paths.incomplete, 'r');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT' && this.state === 'verified') return open(this.paths.cached, 'r');
      throw error;
    }
  }

  private progress(): Promise<void> {
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  private notify(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  }

  private async run(origin: () => Promise<Readable>, started: Settle): Promise<{ mtimeMs: number }> {
    let file: FileHandle | null = null;
    let digests: WorkerDigests | null = null;
    try {
      file = await open(this.paths.incomplete, 'w');
      const stream = await origin();
      started.resolve();
      const expected = expectedDigest(this.target);
      digests = expected ? new WorkerDigests([expected.algo]) : null;
      for await (const chunk of stream as AsyncIterable<Buffer>) {
        if (this.written + chunk.length > this.target.size) throw new FillError(`origin sent more than the ${this.target.size} bytes of image ${this.target.imageId}`, true);
        // The write runs on the thread pool while a worker thread hashes the same bytes.
        await Promise.all([file.write(chunk, 0, chunk.length, this.written), digests?.update(chunk)]);
        this.written += chunk.length;
        this.onWritten(chunk.length);
        this.notify();
      }
      if (this.written !== this.target.size) {
        throw new FillError(`origin sent ${this.written} of the ${this.target.size} bytes of image ${this.target.imageId}`, this.written > 0);
      }
      if (expected && digests) {
        const digest = (await digests.digest()).get(expected.algo);
        if (digest !== expected.value) throw new FillError(`image ${this.target.imageId}: ${expected.algo} ${digest} does not match ${expected.value}`, true);
      }
      this.state = 'verified';
      this.notify();
      await file.datasync();
      const { mtimeMs } = await file.stat();
      const handle = file;
      file = null;
      await handle.close();
      await rename(this.paths.incomplete, this.paths.cached);
      return { mtimeMs };
    } catch (error) {
      this.failure = error instanceof Error ? error : new Error(String(error));
      digests?.abort();
      started.reject(this.failure);
      this.state = 'failed';
      this.notify();
      await file?.close().catch(() => undefined);
      // Wrong bytes are kept in invalid/ for the operator (the cleaner removes them); an origin
      // that failed leaves nothing worth keeping.
      const keep = error instanceof FillError && error.invalid;
      await (keep ? rename(this.paths.incomplete, this.paths.invalid) : rm(this.paths.incomplete, { force: true })).catch(() => undefined);
      throw this.failure;
    }
  }
}
