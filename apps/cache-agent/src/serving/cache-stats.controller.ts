import { Controller, Get, Inject } from '@nestjs/common';
import { ImageCache } from '../cache/image-cache';
import { CACHE_SETTINGS, type CacheSettings } from '../cache/cache.settings';

/** GET /stats: the node's numbers for an operator (and its cache size against the limit). */
@Controller('stats')
export class CacheStatsController {
  constructor(
    private readonly cache: ImageCache,
    @Inject(CACHE_SETTINGS) private readonly settings: CacheSettings,
  ) {}

  @Get()
  stats(): Record<string, unknown> {
    return {
      node: this.settings.node,
      ...this.cache.stats.snapshot(),
      cached_images: this.cache.entries().length,
      size: this.cache.sizeBytes(),
      max_size: this.settings.maxSizeBytes,
    };
  }
}
