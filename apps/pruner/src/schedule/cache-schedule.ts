import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { BusClient } from '@glimpse/bus';
import { CacheBroadcasts } from '@glimpse/contracts';

export const SCHEDULE_SETTINGS = Symbol('SCHEDULE_SETTINGS');

export interface ScheduleSettings {
  /** 0: never. */
  pruneIntervalMs: number;
  cleanIntervalMs: number;
}

/**
 * The cache policy on a clock: every image_cache_prune_interval each agent prunes its own disk
 * under image_cache_max_size, every image_cache_clean_interval it cleans. The work happens on the
 * nodes; this only says when.
 */
@Injectable()
export class CacheSchedule implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly timers: NodeJS.Timeout[] = [];

  constructor(
    private readonly bus: BusClient,
    @Inject(SCHEDULE_SETTINGS) private readonly settings: ScheduleSettings,
  ) {}

  onApplicationBootstrap(): void {
    this.every(this.settings.pruneIntervalMs, CacheBroadcasts.prune);
    this.every(this.settings.cleanIntervalMs, CacheBroadcasts.clean);
  }

  onApplicationShutdown(): void {
    for (const timer of this.timers) clearInterval(timer);
  }

  private every(ms: number, subject: string): void {
    if (ms <= 0) return;
    const timer = setInterval(() => this.bus.emit(subject, { at: new Date().toISOString() }), ms);
    timer.unref();
    this.timers.push(timer);
  }
}
