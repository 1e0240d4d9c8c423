import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { BusClient, RegistryClient } from '@glimpse/bus';
import { type CacheHeartbeat, CacheNodeSubjects, type CacheNodeState, GlimpseError, RegistrySubjects } from '@glimpse/contracts';
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { ImageCache } from '../cache/image-cache';
import { CACHE_SETTINGS, type CacheSettings } from '../cache/cache.settings';
import { AGENT_CALLER, Prefetcher } from '../prefetch/prefetcher';

/** Bytes the background re-hash reads between two pauses, so that serving keeps the disk. */
const VERIFY_SLICE = 64 * 1024 * 1024;

/**
 * The agent's timers: a heartbeat (so the API knows the node and where it serves), a
 * reconciliation against the registry (an image deleted or deactivated while an event was lost
 * is evicted all the same), and a low-priority pass that re-hashes every cached file.
 */
@Injectable()
export class CacheHousekeeping implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('CacheHousekeeping');
  private readonly timers: NodeJS.Timeout[] = [];
  private verifying = false;
  private stopped = false;

  constructor(
    @Inject(CACHE_SETTINGS) private readonly settings: CacheSettings,
    private readonly cache: ImageCache,
    private readonly prefetcher: Prefetcher,
    private readonly bus: BusClient,
    private readonly registry: RegistryClient,
  ) {}

  onApplicationBootstrap(): void {
    this.heartbeat();
    this.every(this.settings.heartbeatIntervalMs, () => this.heartbeat());
    this.every(this.settings.reconcileIntervalMs, () => this.reconcile());
    if (this.settings.verifyIntervalMs > 0) this.every(this.settings.verifyIntervalMs, () => this.verifyAll());
  }

  onApplicationShutdown(): void {
    this.stopped = true;
    for (const timer of this.timers) clearInterval(timer);
  }

  async state(): Promise<CacheNodeState> {
    return {
      node: this.settings.node,
      url: this.settings.url ?? '',
      cachedImages: this.cache.list(),
      queuedImages: await this.prefetcher.queued(),
      filling: this.cache.progress(),
      sizeBytes: this.cache.sizeBytes(),
      maxSizeBytes: this.settings.maxSizeBytes,
    };
  }

  heartbeat(): void {
    const beat: CacheHeartbeat = {
      node: this.settings.node,
      url: this.settings.url ?? '',
      sizeBytes: this.cache.sizeBytes(),
      maxSizeBytes: this.settings.maxSizeBytes,
      at: new Date().toISOString(),
    };
    this.bus.emit(CacheNodeSubjects.seen, beat);
  }

  /** Evicts every cached image the registry no longer serves (deleted, pending_delete, deactivated). */
  async reconcile(): Promise<void> {
    for (const entry of this.cache.entries()) {
      if (this.stopped) return;
      try {
        const image = await this.registry.request(RegistrySubjects.getImage, { caller: AGENT_CALLER, id: entry.imageId });
        if (image.status !== 'active') await this.cache.evict(entry.imageId, `the image is ${image.status}`);
      } catch (error) {
        if (error instanceof GlimpseError && error.code === 'not_found') await this.cache.evict(entry.imageId, 'the image was deleted');
        else this.logger.warn(`reconcile: ${(error as Error).message}`);
      }
    }
  }

  /** Re-hashes every cached file; a file whose digest changed is evicted. */
  async verifyAll(): Promise<number> {
    if (this.verifying) return 0;
    this.verifying = true;
    let evicted = 0;
    try {
      for (const entry of this.cache.entries()) {
        if (this.stopped) break;
        const algo = entry.hashAlgo && entry.hashValue ? entry.hashAlgo : entry.checksum ? 'md5' : null;
        const expected = entry.hashAlgo && entry.hashValue ? entry.hashValue : entry.checksum;
        if (!algo || !expected) continue;
        const digest = await this.digestOf(this.cache.layout.cached(entry.imageId), algo).catch(() => null);
        if (digest !== expected && this.cache.entries().some((e) => e.imageId === entry.imageId)) {
          await this.cache.evict(entry.imageId, `re-hash found ${algo} ${digest ?? '(unreadable)'} instead of ${expected}`);
          evicted++;
        }
      }
    } finally {
      this.verifying = false;
    }
    return evicted;
  }

  private async digestOf(path: string, algo: string): Promise<string> {
    const hash = createHash(algo);
    let sinceBreak = 0;
    for await (const chunk of createReadStream(path, { highWaterMark: 1024 * 1024 }) as AsyncIterable<Buffer>) {
      hash.update(chunk);
      sinceBreak += chunk.length;
      if (sinceBreak >= VERIFY_SLICE) {
        sinceBreak = 0;
        await sleep(50);
      }
    }
    return hash.digest('hex');
  }

  private every(ms: number, task: () => unknown): void {
    const timer = setInterval(() => {
      void Promise.resolve(task()).catch((error: Error) => this.logger.warn(error.message));
    }, ms);
    timer.unref();
    this.timers.push(timer);
  }
}
