import { type DynamicModule, Module } from '@nestjs/common';
import { BusModule, type BusOptions, healthController } from '@glimpse/bus';
import type { GlimpseConfig } from '@glimpse/config';
import { CacheSchedule, SCHEDULE_SETTINGS, type ScheduleSettings } from './schedule/cache-schedule';

/** Cache size and hygiene policy: tells every cache agent when to prune and clean. */
@Module({})
export class PrunerModule {
  static forRoot(config: GlimpseConfig, bus: BusOptions): DynamicModule {
    const settings: ScheduleSettings = {
      pruneIntervalMs: config.DEFAULT.image_cache_dir ? config.pruner.image_cache_prune_interval * 1000 : 0,
      cleanIntervalMs: config.DEFAULT.image_cache_dir ? config.pruner.image_cache_clean_interval * 1000 : 0,
    };
    return {
      module: PrunerModule,
      imports: [BusModule.forRoot(bus)],
      controllers: [healthController('pruner')],
      providers: [{ provide: SCHEDULE_SETTINGS, useValue: settings }, CacheSchedule],
    };
  }
}
