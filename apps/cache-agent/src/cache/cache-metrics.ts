import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { metrics } from '@opentelemetry/api';
import { Prefetcher } from '../prefetch/prefetcher';
import { CACHE_SETTINGS, type CacheSettings } from './cache.settings';
import { ImageCache } from './image-cache';

/** The node's cache numbers on /metrics, read from CacheStats and the index when scraped. */
@Injectable()
export class CacheMetrics implements OnModuleInit {
  constructor(
    @Inject(CACHE_SETTINGS) private readonly settings: CacheSettings,
    private readonly cache: ImageCache,
    private readonly prefetcher: Prefetcher,
  ) {}

  onModuleInit(): void {
    const meter = metrics.getMeter('glimpse-cache');
    const node = { node: this.settings.node };
    const stats = this.cache.stats;
    meter.createObservableCounter('glimpse.cache.hits', { description: 'Downloads answered from the cache' }).addCallback((r) => r.observe(stats.hits, node));
    meter.createObservableCounter('glimpse.cache.misses', { description: 'Downloads that were not in the cache' }).addCallback((r) => r.observe(stats.misses, node));
    meter
      .createObservableCounter('glimpse.cache.origin.reads', { description: 'Reads of image data from its store (one per fill, however many clients wait)' })
      .addCallback((r) => r.observe(stats.originReads, node));
    meter.createObservableCounter('glimpse.cache.served.bytes', { description: 'Bytes served, by where they came from', unit: 'By' }).addCallback((r) => {
      r.observe(stats.bytesFromCache, { ...node, source: 'cache' });
      r.observe(stats.bytesFromOrigin, { ...node, source: 'origin' });
    });
    meter.createObservableGauge('glimpse.cache.size.bytes', { description: 'Bytes of verified images in the cache', unit: 'By' }).addCallback((r) => r.observe(this.cache.sizeBytes(), node));
    meter.createObservableGauge('glimpse.cache.limit.bytes', { description: 'image_cache_max_size', unit: 'By' }).addCallback((r) => r.observe(this.settings.maxSizeBytes, node));
    meter.createObservableGauge('glimpse.cache.images', { description: 'Verified images in the cache' }).addCallback((r) => r.observe(this.cache.entries().length, node));
    meter
      .createObservableGauge('glimpse.cache.prefetch.queue', { description: 'Prefetch jobs waiting or running on this node' })
      .addCallback(async (r) => r.observe(await this.prefetcher.queueDepth(), node));
  }
}
