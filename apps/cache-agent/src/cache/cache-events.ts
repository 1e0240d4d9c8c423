import { Inject, Injectable } from '@nestjs/common';
import { BusClient } from '@glimpse/bus';
import { type CacheEvent, type CacheFact, cacheEventSubject } from '@glimpse/contracts';
import { CACHE_SETTINGS, type CacheSettings } from './cache.settings';

/** The node's readable facts: `glimpse.cache.<node>.cached|evicted|invalid|queued|failed.v1`. */
@Injectable()
export class CacheEvents {
  constructor(
    private readonly bus: BusClient,
    @Inject(CACHE_SETTINGS) private readonly settings: CacheSettings,
  ) {}

  cached(imageId: string, size: number): void {
    this.publish('cached', { imageId, size });
  }

  evicted(imageId: string, reason: string, size?: number): void {
    this.publish('evicted', { imageId, reason, size });
  }

  invalid(imageId: string, reason: string): void {
    this.publish('invalid', { imageId, reason });
  }

  queued(imageId: string): void {
    this.publish('queued', { imageId });
  }

  failed(imageId: string, reason: string): void {
    this.publish('failed', { imageId, reason });
  }

  private publish(fact: CacheFact, body: Omit<CacheEvent, 'node' | 'at'>): void {
    const event: CacheEvent = { node: this.settings.node, ...body, at: new Date().toISOString() };
    this.bus.emit(cacheEventSubject(this.settings.node, fact), event);
  }
}
