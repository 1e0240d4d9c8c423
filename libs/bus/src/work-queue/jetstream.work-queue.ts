import { Logger } from '@nestjs/common';
import {
  AckPolicy,
  DeliverPolicy,
  DiscardPolicy,
  type JetStreamClient,
  type JetStreamManager,
  type JsMsg,
  type NatsConnection,
  RetentionPolicy,
  StorageType,
  connect,
  headers,
  nanos,
} from 'nats';
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
import { contextFromHeaders, currentTraceHeaders } from '../trace-headers';
import { runInJobSpan } from './job-span';


export interface JetStreamWorkQueueOptions {
  /** NATS server(s), comma-separated. */
  natsUrl: string;
  /** `[bus] bus_namespace`: the first token of every job subject and of every stream name. */
  namespace: string;
  /** Who is connecting, for `nats server report connections`. */
  name: string;
  /** How long JetStream waits for an ack before it redelivers; a running handler heartbeats at a third of it. */
  ackWaitMs?: number;
}

const KEY_HEADER = 'Glimpse-Job-Key';
const PULL_EXPIRES_MS = 1000;
const RETRY_AFTER_ERROR_MS = 500;
const MAX_MSGS_PER_SUBJECT_EXCEEDED = 10077;

interface Body<T> {
  key: string;
  data: T;
  enqueuedAt: string;
}

/**
 * The JetStream work queue. Each first queue token (`scrub`, `prefetch`) is one stream,
 * `<namespace>-jobs-<token>`, with work-queue retention on file storage: a job is a message on
 * `<namespace>.jobs.<queue>.<key>`, kept until acknowledged. One message per subject with
 * discard-new-per-subject makes a key already waiting refuse a second copy; cancel purges the
 * key's subject. Each (queue, durable) is a durable pull consumer: a handler's message is
 * heartbeated (`working`) while it runs, nak'ed with the backoff delay when it throws and
 * terminated after maxAttempts.
 */
export class JetStreamWorkQueue<T> implements WorkQueue<T> {
  private readonly logger = new Logger('JetStreamWorkQueue');
  private readonly streams = new Map<string, Promise<string>>();
  private readonly consumers = new Set<WorkQueueConsumer>();
  private readonly ackWaitMs: number;

  private constructor(
    private readonly nc: NatsConnection,
    private readonly jsm: JetStreamManager,
    private readonly js: JetStreamClient,
    private readonly namespace: string,
    ackWaitMs: number,
  ) {
    this.ackWaitMs = ackWaitMs;
  }

  static async connect<T>(options: JetStreamWorkQueueOptions): Promise<JetStreamWorkQueue<T>> {
    const nc = await connect({
      servers: options.natsUrl.split(',').map((s) => s.trim()).filter(Boolean),
      name: `${options.namespace}-${options.name}-jobs`,
      maxReconnectAttempts: -1,
      reconnectTimeWait: 250,
    });
    const jsm = await nc.jetstreamManager();
    return new JetStreamWorkQueue<T>(nc, jsm, nc.jetstream(), options.namespace, options.ackWaitMs ?? 30000);
  }

  async enqueue(queue: string, key: string, data: T): Promise<{ added: boolean }> {
    const stream = await this.stream(queue);
    const body: Body<T> = { key, data, enqueuedAt: new Date().toISOString() };
    const h = headers();
    h.set(KEY_HEADER, key);
    // The job runs in the trace of whoever queued it (a PUT /v2/cache, a DELETE).
    for (const [name, value] of Object.entries(currentTraceHeaders())) h.set(name, value);
    try {
      const ack = await this.js.publish(this.subject(queue, key), JSON.stringify(body), { headers: h, expect: { streamName: stream } });
      return { added: !ack.duplicate };
    } catch (error) {
      if (apiErrorCode(error) === MAX_MSGS_PER_SUBJECT_EXCEEDED) return { added: false };
      throw error;
    }
  }

  async pending(queue: string): Promise<QueuedJob<T>[]> {
    const stream = await this.stream(queue);
    const subjects = await this.subjects(stream, queue);
    const jobs: QueuedJob<T>[] = [];
    const CHUNK = 64;
    for (let i = 0; i < subjects.length; i += CHUNK) {
      const read = await Promise.all(
        subjects.slice(i, i + CHUNK).map((subject) =>
          this.jsm.streams.getMessage(stream, { last_by_subj: subject }).then(
            (m) => m.json<Body<T>>(),
            () => null, // acknowledged or cancelled meanwhile
          ),
        ),
      );
      for (const body of read) if (body) jobs.push({ key: body.key, data: body.data, attempt: 0, enqueuedAt: body.enqueuedAt });
    }
    return jobs.sort((a, b) => a.enqueuedAt.localeCompare(b.enqueuedAt));
  }

  async count(queue: string): Promise<number> {
    const stream = await this.stream(queue);
    return (await this.subjects(stream, queue)).length;
  }

  async cancel(queue: string, key: string): Promise<boolean> {
    const stream = await this.stream(queue);
    const { purged } = await this.jsm.streams.purge(stream, { filter: this.subject(queue, key) });
    return purged > 0;
  }

  async purge(queue: string): Promise<number> {
    const stream = await this.stream(queue);
    const { purged } = await this.jsm.streams.purge(stream, { filter: `${this.prefix(queue)}.*` });
    return purged;
  }

  async consume(
    queue: string,
    handler: JobHandler<T>,
    options: ConsumeOptions & { onFailure?: (f: JobFailure<T>) => void },
  ): Promise<WorkQueueConsumer> {
    checkConsumeOptions(options);
    const stream = await this.stream(queue);
    const name = `${options.durable}_${checkQueueName(queue).join('_')}`;
    const config = {
      durable_name: name,
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.All,
      filter_subject: `${this.prefix(queue)}.*`,
      ack_wait: nanos(this.ackWaitMs),
      max_deliver: -1,
      // Deferred jobs (a delete due in hours) stay unacknowledged: no cap, or they would block the rest.
      max_ack_pending: -1,
    };
    try {
      await this.jsm.consumers.add(stream, config);
    } catch {
      await this.jsm.consumers.update(stream, name, { ack_wait: config.ack_wait, max_deliver: -1, max_ack_pending: -1 });
    }
    const consumer = await this.js.consumers.get(stream, name);
    const deferrals = new Deferrals();
    let stopped = false;
    const loop = async () => {
      while (!stopped && !this.nc.isClosed()) {
        let msg: JsMsg | null;
        try {
          msg = await consumer.next({ expires: PULL_EXPIRES_MS });
        } catch (error) {
          if (stopped) return;
          this.logger.debug?.(`pull on ${queue} failed: ${asError(error).message}`);
          await sleep(RETRY_AFTER_ERROR_MS);
          continue;
        }
        if (msg) await this.run(msg, handler, options, deferrals);
      }
    };
    const loops = Array.from({ length: options.concurrency }, loop);
    const running: WorkQueueConsumer = {
      stop: async () => {
        stopped = true;
        this.consumers.delete(running);
        await Promise.all(loops);
      },
    };
    this.consumers.add(running);
    return running;
  }

  async close(): Promise<void> {
    await Promise.all([...this.consumers].map((c) => c.stop()));
    if (!this.nc.isClosed()) await this.nc.drain().catch(() => this.nc.close());
  }

  private async run(
    msg: JsMsg,
    handler: JobHandler<T>,
    options: ConsumeOptions & { onFailure?: (f: JobFailure<T>) => void },
    deferrals: Deferrals,
  ): Promise<void> {
    let body: Body<T>;
    try {
      body = msg.json<Body<T>>();
    } catch {
      this.logger.warn(`dropping an unreadable job on ${msg.subject}`);
      msg.term();
      return;
    }
    const attempt = Math.max(1, msg.info.deliveryCount - deferrals.of(msg.seq));
    const job: QueuedJob<T> = { key: body.key, data: body.data, attempt, enqueuedAt: body.enqueuedAt };
    const heartbeat = setInterval(() => msg.working(), Math.max(50, Math.floor(this.ackWaitMs / 3)));
    heartbeat.unref();
    const parent = contextFromHeaders(msg.headers);
    // <namespace>.jobs.<queue>.<key>
    const queue = msg.subject.split('.').slice(2, -1).join('.');
    try {
      const outcome = await runInJobSpan(queue, job, 'nats', parent, handler);
      if (isDeferral(outcome)) {
        deferrals.add(msg.seq);
        msg.nak(Math.max(0, Math.ceil(outcome.retryInMs)));
      } else {
        deferrals.forget(msg.seq);
        await msg.ackAck().catch(() => false); // a lost ack redelivers the job: handlers are idempotent
      }
    } catch (failure) {
      const final = job.attempt >= options.maxAttempts;
      if (final) deferrals.forget(msg.seq);
      if (final) msg.term();
      else msg.nak(backoffFor(options, job.attempt));
      options.onFailure?.({ job, error: asError(failure), final });
    } finally {
      clearInterval(heartbeat);
    }
  }

  private prefix(queue: string): string {
    checkQueueName(queue);
    return `${this.namespace}.jobs.${queue}`;
  }

  private subject(queue: string, key: string): string {
    if (key === '') throw new Error('a job key must not be empty');
    const token = /^[A-Za-z0-9_-]+$/.test(key) ? key : `~${Buffer.from(key).toString('base64url')}`;
    return `${this.prefix(queue)}.${token}`;
  }

  private async subjects(stream: string, queue: string): Promise<string[]> {
    const info = await this.jsm.streams.info(stream, { subjects_filter: `${this.prefix(queue)}.*` });
    return Object.keys(info.state.subjects ?? {});
  }

  /** The stream of the queue's first token, created once (file storage, work-queue retention). */
  private stream(queue: string): Promise<string> {
    const [first] = checkQueueName(queue);
    let ready = this.streams.get(first);
    if (!ready) {
      const name = `${this.namespace}-jobs-${first}`;
      const config = {
        name,
        subjects: [`${this.namespace}.jobs.${first}.>`],
        retention: RetentionPolicy.Workqueue,
        storage: StorageType.File,
        discard: DiscardPolicy.New,
        max_msgs_per_subject: 1,
        discard_new_per_subject: true,
        num_replicas: 1,
      };
      ready = this.jsm.streams.add(config).then(
        () => name,
        async (error: unknown) => {
          // Already there (another process made it): use it as it is.
          await this.jsm.streams.info(name).catch(() => {
            throw error;
          });
          return name;
        },
      );
      ready.catch(() => this.streams.delete(first));
      this.streams.set(first, ready);
    }
    return ready;
  }
}

/**
 * Deliveries that were deferrals, by stream sequence, so that `attempt` counts real attempts.
 * JetStream only counts deliveries; this count lives in the consumer process (after a restart a
 * deferred job may show one attempt more) and is capped, oldest first, for jobs cancelled while
 * deferred.
 */
class Deferrals {
  private static readonly MAX = 10000;
  private readonly counts = new Map<number, number>();

  of(seq: number): number {
    return this.counts.get(seq) ?? 0;
  }

  add(seq: number): void {
    const count = this.of(seq) + 1;
    this.counts.delete(seq);
    this.counts.set(seq, count);
    if (this.counts.size > Deferrals.MAX) this.counts.delete(this.counts.keys().next().value as number);
  }

  forget(seq: number): void {
    this.counts.delete(seq);
  }
}

function apiErrorCode(error: unknown): number | undefined {
  const api = (error as { api_error?: { err_code?: number } }).api_error;
  if (api?.err_code) return api.err_code;
  return /maximum messages per subject exceeded/i.test(String((error as Error)?.message)) ? MAX_MSGS_PER_SUBJECT_EXCEEDED : undefined;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
