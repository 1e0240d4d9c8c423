import { hashWorker, newSessionId } from './hash-workers';

const SLOT_SIZE = 1024 * 1024;
const SLOT_COUNT = 4;

/**
 * Digests of a byte stream computed on worker threads, one per algorithm, so that hashing runs
 * beside the I/O instead of on the event loop. Bytes are copied into SharedArrayBuffer slots
 * (the only copy); memory is SLOT_COUNT * SLOT_SIZE whatever the length.
 */
export class WorkerDigests {
  private readonly session = newSessionId();
  private readonly workers;
  private readonly slots = Array.from({ length: SLOT_COUNT }, () => new SharedArrayBuffer(SLOT_SIZE));
  /** Per slot, how many workers still read it. */
  private readonly pending = new Array<number>(SLOT_COUNT).fill(0);
  private readonly digests = new Map<string, string>();
  private current = 0;
  private fill = 0;
  private waitingForSlot: (() => void) | null = null;
  private waitingForDigests: (() => void) | null = null;
  private finished = false;

  constructor(readonly algorithms: readonly string[]) {
    this.workers = algorithms.map((algo) => hashWorker(algo));
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

  /** Resolves once `chunk` is handed to the workers (the caller may reuse it then). */
  async update(chunk: Buffer): Promise<void> {
    let offset = 0;
    while (offset < chunk.length) {
      if (this.pending[this.current] > 0) await this.slotFree(this.current);
      const n = Math.min(SLOT_SIZE - this.fill, chunk.length - offset);
      chunk.copy(new Uint8Array(this.slots[this.current]), this.fill, offset, offset + n);
      this.fill += n;
      offset += n;
      if (this.fill === SLOT_SIZE) this.dispatch();
    }
  }

  /** Each algorithm's hex digest of everything given to update(). */
  digest(): Promise<Map<string, string>> {
    if (this.fill > 0) this.dispatch();
    const done = new Promise<Map<string, string>>((resolve) => {
      this.waitingForDigests = () => resolve(this.digests);
      if (this.digests.size === this.workers.length) resolve(this.digests);
    });
    for (const worker of this.workers) worker.end(this.session);
    return done.then((digests) => {
      this.finished = true;
      return digests;
    });
  }

  abort(): void {
    if (!this.finished) for (const worker of this.workers) worker.abort(this.session);
    this.finished = true;
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
