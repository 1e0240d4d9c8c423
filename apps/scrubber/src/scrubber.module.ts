import { type DynamicModule, Module } from '@nestjs/common';
import type { GlimpseConfig } from '@glimpse/config';
import { BusModule, type BusOptions, healthController, openWorkQueue, workQueueFile } from '@glimpse/bus';
import type { ScrubJob } from '@glimpse/contracts';
import { Stores, openStores } from '@glimpse/stores';
import { SCRUB_SETTINGS, scrubSettings } from './scrub/scrub.settings';
import { ScrubMetrics } from './scrub/scrub-metrics';
import { ScrubStatusController } from './scrub/scrub-status.controller';
import { OPEN_SCRUB_QUEUE, Scrubber } from './scrub/scrubber.service';

/** Delayed delete: the scrubber daemon (the app) or one pass / a restore (the CLI). */
@Module({})
export class ScrubberModule {
  static forRoot(config: GlimpseConfig, bus: BusOptions, { daemon }: { daemon: boolean }): DynamicModule {
    return {
      module: ScrubberModule,
      imports: [BusModule.forRoot(bus)],
      controllers: daemon ? [healthController('scrubber'), ScrubStatusController] : [],
      providers: [
        { provide: SCRUB_SETTINGS, useValue: scrubSettings(config, daemon) },
        {
          provide: Stores,
          useFactory: () => openStores(config),
        },
        { provide: OPEN_SCRUB_QUEUE, useValue: () => openWorkQueue<ScrubJob>(bus, { file: workQueueFile(config) }) },
        Scrubber,
        ...(daemon ? [ScrubMetrics] : []),
      ],
      exports: [Scrubber],
    };
  }
}
