import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { recordSpanFacts } from '@glimpse/telemetry';
import { BusClient, type JobDeferral, type QueuedJob, type WorkQueue, type WorkQueueConsumer } from '@glimpse/bus';
import {
  SCRUB_QUEUE,
  type ScrubEvent,
  ScrubEvents,
  type ScrubFailure,
  type ScrubJob,
  type ScrubRequestMap,
  type ScrubStatus,
  ScrubSubjects,
} from '@glimpse/contracts';
import { Stores } from '@glimpse/stores';
import { SCRUB_SETTINGS, type ScrubSettings } from './scrub.settings';

const BATCH = 1000;
const KEPT_FAILURES = 50;
export const OPEN_SCRUB_QUEUE = Symbol('OPEN_SCRUB_QUEUE');

export interface PassResult {
  scrubbed: number;
  failed: number;
}

/** What became of one image: scrubbed, or why not. */
type Outcome =
  | { kind: 'scrubbed' }
  | { kind: 'gone' }
  | { kind: 'later'; retryInMs: number }
  | { kind: 'failed'; error: string };

type Req<S extends keyof ScrubRequestMap> = ScrubRequestMap[S][0];
type Rep<S extends keyof ScrubRequestMap> = ScrubRequestMap[S][1];

/**
 * Deletes the data of pending_delete images once scrub_time has passed. Work comes two ways:
 * jobs from the durable scrub queue (put there by the registry at delete time; a job not yet
 * due comes back when it is, a failing store is retried with backoff) and a scan of the
 * registry every wakeup_time, so a lost message only delays work. Either way the image is first
 * claimed in the registry, so two scrubbers never delete the same data, a restore never races a
 * delete, and a scrubber that died is taken over after scrub_claim_timeout. A location already
 * missing counts as deleted. The daemon is a timer, not a recursion.
 */
@Injectable()
export class Scrubber implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('Scrubber');
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;
  private queue: WorkQueue<ScrubJob> | null = null;
  private consumer: WorkQueueConsumer | null = null;
  private scrubbedTotal = 0;
  private failedTotal = 0;
  private readonly failures: ScrubFailure[] = [];
  private lastPass: ScrubStatus['lastPass'] = null;
  private wakeups = 0;

  constructor(
    private readonly bus: BusClient,
    private readonly stores: Stores,
    @Inject(SCRUB_SETTINGS) private readonly settings: ScrubSettings,
    @Inject(OPEN_SCRUB_QUEUE) private readonly openQueue: () => Promise<WorkQueue<ScrubJob>>,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    if (!this.settings.daemon) return;
    this.queue = await this.openQueue();
    this.consumer = await this.queue.consume(SCRUB_QUEUE, (job) => this.onJob(job), {
      durable: 'scrubber',
      concurrency: this.settings.poolSize,
      backoffMs: this.settings.backoffMs,
      maxAttempts: this.settings.maxAttempts,
      onFailure: ({ job, error, final }) => {
        if (final) this.logger.error(`image ${job.data.imageId}: scrub job dropped after ${job.attempt} attempts (${error.message}); the scan retries it`);
      },
    });
    this.schedule(0);
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.consumer?.stop();
    await this.queue?.close();
  }

  /** One scan of the registry: everything due, up to scrub_pool_size images at a time. */
  async scrubOnce(): Promise<PassResult> {
    const started = Date.now();
    const result: PassResult = { scrubbed: 0, failed: 0 };
    const { images } = await this.request<typeof ScrubSubjects.due>(ScrubSubjects.due, {
      scrubTimeSeconds: this.settings.scrubTimeSeconds,
      limit: BATCH,
    });
    let next = 0;
    const worker = async () => {
      while (next < images.length) {
        const outcome = await this.scrubImage(images[next++].imageId, null);
        if (outcome.kind === 'scrubbed') result.scrubbed++;
        if (outcome.kind === 'failed') result.failed++;
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.settings.poolSize, images.length) }, worker));
    this.lastPass = { at: new Date().toISOString(), ...result, durationMs: Date.now() - started };
    return result;
  }

  async restore(imageId: string): Promise<void> {
    await this.request<typeof ScrubSubjects.restore>(ScrubSubjects.restore, { imageId });
    this.publish(ScrubEvents.restored, { imageId, at: new Date().toISOString() });
  }

  /** The numbers on /metrics: jobs waiting, and images scrubbed and failed since the start. */
  async counts(): Promise<{ pending: number; scrubbedTotal: number; failedTotal: number }> {
    const pending = this.queue ? await this.queue.count(SCRUB_QUEUE) : 0;
    return { pending, scrubbedTotal: this.scrubbedTotal, failedTotal: this.failedTotal };
  }

  async status(): Promise<ScrubStatus> {
    const pending = this.queue ? await this.queue.count(SCRUB_QUEUE) : 0;
    (globalThis as { gc?: () => void }).gc?.(); // with --expose-gc, the heap after a collection
    return {
      pid: process.pid,
      pending,
      scrubbedTotal: this.scrubbedTotal,
      failedTotal: this.failedTotal,
      failures: [...this.failures],
      lastPass: this.lastPass,
      wakeups: this.wakeups,
      heapUsedBytes: process.memoryUsage().heapUsed,
    };
  }

  private async onJob(job: QueuedJob<ScrubJob>): Promise<void | JobDeferral> {
    recordSpanFacts({ imageId: job.data.imageId });
    const outcome = await this.scrubImage(job.data.imageId, job.attempt);
    if (outcome.kind === 'later') return { retryInMs: outcome.retryInMs };
    if (outcome.kind === 'failed') throw new Error(outcome.error);
  }

  /** Claims the image, deletes the data behind its claimed locations, and records what is gone. */
  private async scrubImage(imageId: string, attempt: number | null): Promise<Outcome> {
    const claim = await this.request<typeof ScrubSubjects.claim>(ScrubSubjects.claim, {
      imageId,
      scrubTimeSeconds: this.settings.scrubTimeSeconds,
      claimTimeoutMs: this.settings.claimTimeoutMs,
    });
    if (claim.outcome === 'gone') return { kind: 'gone' };
    if (claim.outcome === 'not_due') return { kind: 'later', retryInMs: claim.dueInMs };
    if (claim.outcome === 'busy') return { kind: 'later', retryInMs: claim.retryInMs };
    const gone: number[] = [];
    const released: number[] = [];
    let error: string | undefined;
    for (const location of claim.locations) {
      try {
        await this.stores.discard(location.url);
        gone.push(location.id);
      } catch (failure) {
        released.push(location.id);
        error = (failure as Error).message;
      }
    }
    const { status } = await this.request<typeof ScrubSubjects.done>(ScrubSubjects.done, { imageId, locationIds: gone, releasedIds: released });
    const at = new Date().toISOString();
    if (status === 'deleted') {
      this.scrubbedTotal++; // the registry has published the scrubbed event
      return { kind: 'scrubbed' };
    }
    error ??= 'locations remain';
    this.failedTotal++;
    this.failures.push({ imageId, error, attempt: attempt ?? 0, final: attempt !== null && attempt >= this.settings.maxAttempts, at });
    if (this.failures.length > KEPT_FAILURES) this.failures.splice(0, this.failures.length - KEPT_FAILURES);
    this.logger.warn(`image ${imageId}: data not deleted yet (${error}); retried later`);
    this.publish(ScrubEvents.failed, { imageId, at, error });
    return { kind: 'failed', error };
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.wakeups++;
      this.scrubOnce()
        .then(
          (r) => (r.scrubbed || r.failed) && this.logger.log(`pass: ${r.scrubbed} scrubbed, ${r.failed} failed`),
          (error: Error) => this.logger.error(`pass failed: ${error.message}`),
        )
        .finally(() => this.schedule(this.settings.wakeupSeconds * 1000));
    }, delayMs);
    this.timer.unref();
  }

  private request<S extends keyof ScrubRequestMap & string>(subject: S, data: Req<S>): Promise<Rep<S>> {
    return this.bus.request<Req<S>, Rep<S>>(subject, data);
  }

  private publish(subject: string, event: ScrubEvent): void {
    this.bus.emit<ScrubEvent>(subject, event);
  }
}
