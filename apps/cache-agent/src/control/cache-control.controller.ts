import { Controller, type Type, UseFilters, UseInterceptors } from '@nestjs/common';
import { EventPattern, MessagePattern, Payload } from '@nestjs/microservices';
import { BusExceptionFilter, TraceContextInterceptor } from '@glimpse/bus';
import {
  CacheBroadcasts,
  type CacheRequestMap,
  CacheSubjects,
  type ImageEvent,
  ImageEvents,
  badRequest,
} from '@glimpse/contracts';
import { ImageCache } from '../cache/image-cache';
import { Prefetcher } from '../prefetch/prefetcher';
import { CacheHousekeeping } from './cache-housekeeping';

type Reply<K extends keyof CacheRequestMap> = Promise<CacheRequestMap[K][1]>;
type Request<K extends keyof CacheRequestMap> = CacheRequestMap[K][0];

/**
 * The node's control plane on the bus: its own subjects (list, queue, delete, clear, prune,
 * clean), the pruner's broadcasts, and the registry's image events (a deleted or deactivated
 * image is evicted at once). Made per node because the subjects carry the node's name.
 */
export function cacheControlController(node: string): Type<unknown> {
  @Controller()
  @UseFilters(BusExceptionFilter)
  @UseInterceptors(TraceContextInterceptor)
  class CacheControlController {
    constructor(
      private readonly cache: ImageCache,
      private readonly prefetcher: Prefetcher,
      private readonly housekeeping: CacheHousekeeping,
    ) {}

    @MessagePattern(CacheSubjects.list(node))
    async list(): Reply<'list'> {
      return this.housekeeping.state();
    }

    @MessagePattern(CacheSubjects.queue(node))
    async queue(@Payload() request: Request<'queue'>): Reply<'queue'> {
      return { node, queued: await this.prefetcher.enqueue(request.imageIds) };
    }

    @MessagePattern(CacheSubjects.delete(node))
    async delete(@Payload() request: Request<'delete'>): Reply<'delete'> {
      const dequeued = await this.prefetcher.dequeue(request.imageId);
      const evicted = await this.cache.evict(request.imageId, 'deleted by an operator');
      return { node, evicted, dequeued };
    }

    @MessagePattern(CacheSubjects.clear(node))
    async clear(@Payload() request: Request<'clear'>): Reply<'clear'> {
      if (!['cache', 'queue', 'both'].includes(request.target)) throw badRequest(`Unknown clear target ${request.target}`);
      const dequeued = request.target === 'cache' ? 0 : await this.prefetcher.dequeueAll();
      const evicted = request.target === 'queue' ? 0 : await this.cache.evictAll('cleared by an operator');
      return { node, evicted, dequeued };
    }

    @MessagePattern(CacheSubjects.prune(node))
    prune(): Reply<'prune'> {
      return this.cache.prune();
    }

    @MessagePattern(CacheSubjects.clean(node))
    clean(): Reply<'clean'> {
      return this.cache.clean();
    }

    @EventPattern(CacheBroadcasts.prune)
    async onPrune(): Promise<void> {
      await this.cache.prune();
    }

    @EventPattern(CacheBroadcasts.clean)
    async onClean(): Promise<void> {
      await this.cache.clean();
    }

    @EventPattern(ImageEvents.deleted)
    async onDeleted(@Payload() event: ImageEvent): Promise<void> {
      await this.prefetcher.dequeue(event.imageId);
      await this.cache.evict(event.imageId, 'the image was deleted');
    }

    @EventPattern(ImageEvents.deactivated)
    async onDeactivated(@Payload() event: ImageEvent): Promise<void> {
      await this.cache.evict(event.imageId, 'the image was deactivated');
    }
  }
  return CacheControlController;
}
