import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { ROOT_CONTEXT, propagation } from '@opentelemetry/api';
import { currentTraceHeaders } from '../trace-headers';
import { runInJobSpan } from './job-span';
import {
  type ConsumeOptions,
  type JobFailure,
  type JobHandler,
  type QueuedJob,
  type WorkQueue,
  type WorkQueueConsumer,
  asError,
  backoffFor,
  checkConsumeOptions,
  checkQueueName,
  isDeferral,
} from './work-queue';

interface Entry<T> {
  job: QueuedJob<T>;
  running: boolean;
  /** Epoch ms before which the job is not handed out (backoff, deferral). */
  notBefore: number;
  /** W3C trace context of whoever queued the job. */
  trace: Record<string, string>;
}

interface Worker<T> {
  handler: JobHandler<T>;
  options: ConsumeOptions & { onFailure?: (f: JobFailure<T>) => void };
  running: Set<Promise<void>>;
  stopped: boolean;
}

interface Row {
  queue: string;
  key: string;
  data: string;
  attempt: number;
  enqueued_at: string;
  not_before: number;
  trace: string | null;
}

/** What the JetStream queue carries: JSON, so nothing works embedded that would break over NATS. */
const copy = <V>(value: V): V => JSON.parse(JSON.stringify(value)) as V;

/**
 * The work queue of embedded mode: the same semantics as JetStream in one process. Given a
 * SQLite file it writes every job through to it (synchronous=FULL), so jobs outlive a restart;
 * a job that was running when the process died waits again, with its attempt count kept.
 */
export class InProcessWorkQueue<T> implements WorkQueue<T> {
  private readonly queues = new Map<string, Map<string, Entry<T>>>();
  private readonly workers = new Map<string, Worker<T>[]>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly db: Database.Database | null;
  private closed = false;

  constructor(file: string | null = null) {
    if (file) mkdirSync(dirname(file), { recursive: true });
    this.db = file ? new Database(file) : null;
    if (!this.db) return;
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = FULL');
    this.db.exec(
      'CREATE TABLE IF NOT EXISTS jobs (seq INTEGER PRIMARY KEY AUTOINCREMENT, queue TEXT NOT NULL, key TEXT NOT NULL, data TEXT NOT NULL, ' +
        'attempt INTEGER NOT NULL, enqueued_at TEXT NOT NULL, not_before INTEGER NOT NULL, trace TEXT, UNIQUE (queue, key))',
    );
    const columns = this.db.prepare('PRAGMA table_info(jobs)').all() as { name: string }[];
    if (!columns.some((c) => c.name === 'trace')) this.db.exec('ALTER TABLE jobs ADD COLUMN trace TEXT'); // files from before traces
    for (const row of this.db.prepare('SELECT * FROM jobs ORDER BY seq').all() as Row[]) {
      this.entries(row.queue).set(row.key, {
        job: { key: row.key, data: JSON.parse(row.data) as T, attempt: row.attempt, enqueuedAt: row.enqueued_at },
        running: false,
        notBefore: row.not_before,
        trace: row.trace ? (JSON.parse(row.trace) as Record<string, string>) : {},
      });
    }
  }

  async enqueue(queue: string, key: string, data: T): Promise<{ added: boolean }> {
    this.open();
    checkQueueName(queue);
    if (key === '') throw new Error('a job key must not be empty');
    const entries = this.entries(queue);
    if (entries.has(key)) return { added: false };
    const job: QueuedJob<T> = { key, data: copy(data), attempt: 0, enqueuedAt: new Date().toISOString() };
    const trace = currentTraceHeaders();
    this.db
      ?.prepare('INSERT INTO jobs (queue, key, data, attempt, enqueued_at, not_before, trace) VALUES (?, ?, ?, 0, ?, 0, ?)')
      .run(queue, key, JSON.stringify(job.data), job.enqueuedAt, JSON.stringify(trace));
    entries.set(key, { job, running: false, notBefore: 0, trace });
    this.pump(queue);
    return { added: true };
  }

  async pending(queue: string): Promise<QueuedJob<T>[]> {
    return [...this.entries(queue).values()].map((e) => copy(e.job));
  }

  async count(queue: string): Promise<number> {
    return this.entries(queue).size;
  }

  async cancel(queue: string, key: string): Promise<boolean> {
    const removed = this.entries(queue).delete(key);
    if (removed) this.db?.prepare('DELETE FROM jobs WHERE queue = ? AND key = ?').run(queue, key);
    return removed;
  }

  async purge(queue: string): Promise<number> {
    const entries = this.entries(queue);
    const count = entries.size;
    entries.clear();
    this.db?.prepare('DELETE FROM jobs WHERE queue = ?').run(queue);
    return count;
  }

  async consume(
    queue: string,
    handler: JobHandler<T>,
    options: ConsumeOptions & { onFailure?: (f: JobFailure<T>) => void },
  ): Promise<WorkQueueConsumer> {
    this.open();
    checkQueueName(queue);
    checkConsumeOptions(options);
    const worker: Worker<T> = { handler, options, running: new Set(), stopped: false };
    const list = this.workers.get(queue) ?? [];
    list.push(worker);
    this.workers.set(queue, list);
    this.pump(queue);
    return {
      stop: async () => {
        worker.stopped = true;
        this.workers.set(queue, (this.workers.get(queue) ?? []).filter((w) => w !== worker));
        await Promise.all([...worker.running]);
      },
    };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const timer of this.timers.values()) clearTimeout(timer);
    const workers = [...this.workers.values()].flat();
    for (const w of workers) w.stopped = true;
    this.workers.clear();
    await Promise.all(workers.flatMap((w) => [...w.running]));
    this.db?.close();
  }

  private open(): void {
    if (this.closed) throw new Error('the work queue is closed');
  }

  private entries(queue: string): Map<string, Entry<T>> {
    let entries = this.queues.get(queue);
    if (!entries) {
      entries = new Map();
      this.queues.set(queue, entries);
    }
    return entries;
  }

  /** Hands waiting jobs to workers with a free slot, and wakes up for the next delayed one. */
  private pump(queue: string): void {
    if (this.closed) return;
    const timer = this.timers.get(queue);
    if (timer) clearTimeout(timer);
    this.timers.delete(queue);
    const workers = (this.workers.get(queue) ?? []).filter((w) => !w.stopped);
    if (workers.length === 0) return;
    const now = Date.now();
    let nextAt = Infinity;
    for (const entry of this.entries(queue).values()) {
      if (entry.running) continue;
      if (entry.notBefore > now) {
        nextAt = Math.min(nextAt, entry.notBefore);
        continue;
      }
      const worker = workers.find((w) => w.running.size < w.options.concurrency);
      if (!worker) return; // every slot busy: a finishing job pumps again
      this.start(queue, entry, worker);
    }
    if (nextAt !== Infinity) {
      const wake = setTimeout(() => this.pump(queue), Math.max(1, nextAt - now));
      wake.unref();
      this.timers.set(queue, wake);
    }
  }

  private start(queue: string, entry: Entry<T>, worker: Worker<T>): void {
    entry.running = true;
    entry.job.attempt++;
    this.db?.prepare('UPDATE jobs SET attempt = ? WHERE queue = ? AND key = ?').run(entry.job.attempt, queue, entry.job.key);
    const job = copy(entry.job);
    const run = this.run(queue, entry, job, worker).finally(() => {
      worker.running.delete(run);
      this.pump(queue);
    });
    worker.running.add(run);
  }

  private async run(queue: string, entry: Entry<T>, job: QueuedJob<T>, worker: Worker<T>): Promise<void> {
    const entries = this.entries(queue);
    const current = () => entries.get(job.key) === entry; // false once cancelled or purged
    try {
      // From the root, not from whatever request happened to pump the queue.
      const parent = propagation.extract(ROOT_CONTEXT, entry.trace);
      const outcome = await runInJobSpan(queue, job, 'in-process', parent, worker.handler);
      if (isDeferral(outcome)) this.retryLater(queue, entry, outcome.retryInMs, current(), true);
      else this.remove(queue, job.key, current());
    } catch (failure) {
      const final = job.attempt >= worker.options.maxAttempts;
      if (final) this.remove(queue, job.key, current());
      else this.retryLater(queue, entry, backoffFor(worker.options, job.attempt), current());
      worker.options.onFailure?.({ job, error: asError(failure), final });
    }
  }

  private retryLater(queue: string, entry: Entry<T>, delayMs: number, stillQueued: boolean, deferral = false): void {
    entry.running = false;
    if (deferral) entry.job.attempt--; // not an attempt: the job was not due
    if (!stillQueued || this.closed) return;
    entry.notBefore = Date.now() + Math.max(0, delayMs);
    this.db
      ?.prepare('UPDATE jobs SET not_before = ?, attempt = ? WHERE queue = ? AND key = ?')
      .run(entry.notBefore, entry.job.attempt, queue, entry.job.key);
  }

  private remove(queue: string, key: string, stillQueued: boolean): void {
    if (!stillQueued) return;
    this.entries(queue).delete(key);
    if (!this.closed) this.db?.prepare('DELETE FROM jobs WHERE queue = ? AND key = ?').run(queue, key);
  }
}

const SHARED = Symbol.for('glimpse.workQueues');

interface SharedQueue {
  queue: WorkQueue<unknown>;
  users: number;
}

/**
 * The one in-process queue of this process for `file` (null: memory only). Embedded apps are
 * separate bundles in one process, so the registry that enqueues and the scrubber that consumes
 * meet here, through globalThis; the queue closes when its last user closes it.
 */
export function sharedInProcessWorkQueue<T>(file: string | null): WorkQueue<T> {
  const registry = ((globalThis as Record<symbol, unknown>)[SHARED] ??= new Map<string, SharedQueue>()) as Map<string, SharedQueue>;
  const id = file ?? ':memory:';
  let shared = registry.get(id);
  if (!shared) {
    shared = { queue: new InProcessWorkQueue<unknown>(file), users: 0 };
    registry.set(id, shared);
  }
  shared.users++;
  const entry = shared;
  const queue = entry.queue as WorkQueue<T>;
  let closed = false;
  const mine = new Set<WorkQueueConsumer>();
  return {
    enqueue: (q, key, data) => queue.enqueue(q, key, data),
    pending: (q) => queue.pending(q),
    count: (q) => queue.count(q),
    cancel: (q, key) => queue.cancel(q, key),
    purge: (q) => queue.purge(q),
    consume: async (q, handler, options) => {
      const consumer = await queue.consume(q, handler, options);
      mine.add(consumer);
      return consumer;
    },
    close: async () => {
      if (closed) return;
      closed = true;
      await Promise.all([...mine].map((c) => c.stop()));
      if (--entry.users > 0) return;
      registry.delete(id);
      await queue.close();
    },
  };
}
