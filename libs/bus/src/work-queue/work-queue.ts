/**
 * A durable work queue: jobs that must survive a restart (delayed deletes, per-node prefetch).
 * Two implementations with the same semantics: JetStream (cluster) and in-process (embedded,
 * optionally persisted in SQLite). Messages are triggers; every handler must be idempotent.
 */
export interface QueuedJob<T> {
  key: string;
  data: T;
  /** 1 on the first attempt; a deferral (`{ retryInMs }`) is not an attempt. 0 in `pending` from JetStream, which does not say. */
  attempt: number;
  enqueuedAt: string;
}

export interface ConsumeOptions {
  /** Consumers with the same durable name share the jobs of a queue (one delivery each). */
  durable: string;
  /** Handlers this consumer runs at once. */
  concurrency: number;
  /** Delay before the next attempt after a failure: backoffMs[attempt - 1], the last value repeating. */
  backoffMs: number[];
  /** After this many attempts a failing job is dropped. */
  maxAttempts: number;
}

export interface JobFailure<T> {
  job: QueuedJob<T>;
  error: Error;
  /** The job is dropped (maxAttempts reached). */
  final: boolean;
}

/** A handler may say a job is not due yet: it comes back after retryInMs, and it is not a failure. */
export interface JobDeferral {
  retryInMs: number;
}

export type JobHandler<T> = (job: QueuedJob<T>) => Promise<void | JobDeferral>;

export interface WorkQueueConsumer {
  /** Stops taking jobs and waits for the running handlers to finish. */
  stop(): Promise<void>;
}

export interface WorkQueue<T> {
  /** Adds a job under `queue` (a subject suffix such as `scrub` or `prefetch.<node>`); a job whose key is already waiting is not added twice. Resolves once the job is durable. */
  enqueue(queue: string, key: string, data: T): Promise<{ added: boolean }>;
  /** Jobs waiting (or running, not yet acknowledged) in `queue`. */
  pending(queue: string): Promise<QueuedJob<T>[]>;
  /** How many jobs `pending` would return, without reading them. */
  count(queue: string): Promise<number>;
  /** Removes the waiting job with this key (restore cancels a delete; cache delete dequeues). */
  cancel(queue: string, key: string): Promise<boolean>;
  /** Removes every waiting job of `queue`; returns how many. */
  purge(queue: string): Promise<number>;
  /** Runs handler for each job of `queue`, at most `concurrency` at once; a handler that throws is retried after backoffMs[attempt-1] (last value repeats) until maxAttempts, then dropped; onFailure hears each failure. Long jobs must not be redelivered while their handler still runs. */
  consume(
    queue: string,
    handler: JobHandler<T>,
    options: ConsumeOptions & { onFailure?: (f: JobFailure<T>) => void },
  ): Promise<WorkQueueConsumer>;
  close(): Promise<void>;
}

const TOKEN = /^[A-Za-z0-9_-]+$/;

/** A queue is one or more subject tokens (`scrub`, `prefetch.node-1`). */
export function checkQueueName(queue: string): string[] {
  const tokens = queue.split('.');
  if (tokens.some((t) => !TOKEN.test(t))) throw new Error(`work queue "${queue}" must be dot-separated words of letters, digits, _ and -`);
  return tokens;
}

export function checkConsumeOptions(options: ConsumeOptions): void {
  if (!TOKEN.test(options.durable)) throw new Error(`durable "${options.durable}" must be letters, digits, _ and -`);
  if (!Number.isInteger(options.concurrency) || options.concurrency < 1) throw new Error('concurrency must be a positive integer');
  if (!Number.isInteger(options.maxAttempts) || options.maxAttempts < 1) throw new Error('maxAttempts must be a positive integer');
  if (options.backoffMs.length === 0 || options.backoffMs.some((ms) => !(ms >= 0))) throw new Error('backoffMs must list delays >= 0');
}

export function backoffFor(options: ConsumeOptions, attempt: number): number {
  return options.backoffMs[Math.min(attempt, options.backoffMs.length) - 1];
}

export function isDeferral(outcome: void | JobDeferral): outcome is JobDeferral {
  return typeof outcome === 'object' && outcome !== null && typeof outcome.retryInMs === 'number';
}

export function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}
