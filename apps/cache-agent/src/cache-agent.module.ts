import { type DynamicModule, type MiddlewareConsumer, Module, type NestModule, RequestMethod } from '@nestjs/common';
import { APP_FILTER, APP_INTERCEPTOR } from '@nestjs/core';
import { CallerResolver, PolicyEnforcer, identitySettings } from '@glimpse/access';
import { BusModule, type BusOptions, RegistryClient, healthController, openWorkQueue } from '@glimpse/bus';
import type { GlimpseConfig } from '@glimpse/config';
import { GlanceErrorFilter, HttpMetricsMiddleware, RequestIdMiddleware, RouteSpanInterceptor } from '@glimpse/http';
import { Stores, openStores } from '@glimpse/stores';
import { join } from 'node:path';
import { CacheEvents } from './cache/cache-events';
import { CacheLayout } from './cache/cache-layout';
import { CacheMetrics } from './cache/cache-metrics';
import { CacheStats } from './cache/cache-stats';
import { CACHE_SETTINGS, type CacheSettings } from './cache/cache.settings';
import { CACHE_INDEX, ImageCache } from './cache/image-cache';
import { openCacheIndex } from './cache/open-cache-index';
import { cacheControlController } from './control/cache-control.controller';
import { CacheHousekeeping } from './control/cache-housekeeping';
import { PREFETCH_QUEUE, Prefetcher } from './prefetch/prefetcher';
import { CacheStatsController } from './serving/cache-stats.controller';
import { DownloadAccess } from './serving/download-access';
import { ImageFileController } from './serving/image-file.controller';
import { ImageOrigin } from './serving/image-origin';

/** The per-node cache agent: serving, prefetch and housekeeping of one cache directory. */
@Module({})
export class CacheAgentModule implements NestModule {
  /** With no image_cache_dir (the cache is off, as in Glance) the agent only answers health checks. */
  static forRoot(config: GlimpseConfig, bus: BusOptions, settings: CacheSettings | null): DynamicModule {
    const health = healthController('cache-agent');
    if (!settings) return { module: CacheAgentModule, imports: [BusModule.forRoot(bus)], controllers: [health] };
    new CacheLayout(settings.dir).prepare();
    return {
      module: CacheAgentModule,
      imports: [BusModule.forRoot(bus)],
      controllers: [health, ImageFileController, CacheStatsController, cacheControlController(settings.node)],
      providers: [
        { provide: CACHE_SETTINGS, useValue: settings },
        { provide: CACHE_INDEX, useFactory: () => openCacheIndex(settings) },
        {
          provide: PREFETCH_QUEUE,
          // A job whose agent died is handed out again after ackWaitMs; running ones heartbeat.
          useFactory: () => openWorkQueue(bus, { file: settings.embedded ? join(settings.dir, 'prefetch-queue.sqlite') : null, ackWaitMs: 10000 }),
        },
        { provide: Stores, useFactory: () => openStores(config) },
        { provide: CallerResolver, useFactory: () => new CallerResolver(identitySettings(config)) },
        { provide: PolicyEnforcer, useFactory: () => new PolicyEnforcer({ policyFile: config.oslo_policy.policy_file }) },
        { provide: APP_FILTER, useFactory: () => new GlanceErrorFilter() },
        { provide: APP_INTERCEPTOR, useClass: RouteSpanInterceptor },
        RegistryClient,
        CacheStats,
        CacheEvents,
        ImageCache,
        ImageOrigin,
        DownloadAccess,
        Prefetcher,
        CacheHousekeeping,
        CacheMetrics,
      ],
    };
  }

  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(HttpMetricsMiddleware, RequestIdMiddleware).forRoutes({ path: '{*path}', method: RequestMethod.ALL });
  }
}
