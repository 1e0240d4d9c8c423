import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { recordSpanFacts } from '@glimpse/telemetry';
import { RegistryClient, type WorkQueue, type WorkQueueConsumer } from '@glimpse/bus';
import { type CallerContext, GlimpseError, type ImageRecord, RegistrySubjects } from '@glimpse/contracts';
import { CacheEvents } from '../cache/cache-events';
import { ImageCache } from '../cache/image-cache';
import { CACHE_SETTINGS, type CacheSettings } from '../cache/cache.settings';

export const PREFETCH_QUEUE = Symbol('PREFETCH_QUEUE');

export interface PrefetchJob {
  imageId: string;
}

/** The agent acts for the service itself when it prefetches, as Glance's prefetcher does (admin). */
export const AGENT_CALLER: CallerContext = { projectId: null, userId: null, roles: ['admin'], isAdmin: true };

/**
 * The node's prefetch queue: durable (JetStream in a cluster, a SQLite file embedded), taken
 * `cache_prefetch_concurrency` at a time so that prefetch never stampedes the store, each job
 * fetched, verified and reported. An image already cached, deleted or not active is done.
 */
@Injectable()
export class Prefetcher implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('Prefetcher');
  private consumer: WorkQueueConsumer | null = null;
  readonly queueName: string;

  constructor(
    @Inject(PREFETCH_QUEUE) private readonly queue: WorkQueue<PrefetchJob>,
    @Inject(CACHE_SETTINGS) private readonly settings: CacheSettings,
    private readonly cache: ImageCache,
    private readonly registry: RegistryClient,
    private readonly events: CacheEvents,
  ) {
    this.queueName = `prefetch.${settings.node}`;
  }

  async onApplicationBootstrap(): Promise<void> {
    this.consumer = await this.queue.consume(this.queueName, (job) => this.prefetch(job.data.imageId), {
      durable: `cache-${this.settings.node}`,
      concurrency: this.settings.prefetchConcurrency,
      backoffMs: [1000, 5000, 30000],
      maxAttempts: 5,
      onFailure: ({ job, error, final }) => {
        this.logger.warn(`prefetch of ${job.data.imageId} failed (attempt ${job.attempt}${final ? ', giving up' : ''}): ${error.message}`);
        if (final) this.events.failed(job.data.imageId, error.message);
      },
    });
  }

  async onApplicationShutdown(): Promise<void> {
    await this.consumer?.stop();
    await this.queue.close();
  }

  /** Queues images not already cached or queued; returns those queued now. */
  async enqueue(imageIds: string[]): Promise<string[]> {
    const queued: string[] = [];
    for (const imageId of imageIds) {
      if (await this.cache.lookup(imageId)) continue;
      const { added } = await this.queue.enqueue(this.queueName, imageId, { imageId });
      if (added) {
        queued.push(imageId);
        this.events.queued(imageId);
      }
    }
    return queued;
  }

  async queued(): Promise<string[]> {
    return (await this.queue.pending(this.queueName)).map((job) => job.data.imageId);
  }

  queueDepth(): Promise<number> {
    return this.queue.count(this.queueName);
  }

  dequeue(imageId: string): Promise<boolean> {
    return this.queue.cancel(this.queueName, imageId);
  }

  dequeueAll(): Promise<number> {
    return this.queue.purge(this.queueName);
  }

  private async prefetch(imageId: string): Promise<void> {
    recordSpanFacts({ imageId, node: this.settings.node });
    if (await this.cache.lookup(imageId)) return;
    let image: ImageRecord;
    try {
      image = await this.registry.request(RegistrySubjects.getImage, { caller: AGENT_CALLER, id: imageId });
    } catch (error) {
      if (error instanceof GlimpseError && error.code === 'not_found') return;
      throw error;
    }
    if (image.status !== 'active') return;
    recordSpanFacts({ size: image.size });
    await this.cache.fill(image).done;
  }
}
