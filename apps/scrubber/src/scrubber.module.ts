import { type DynamicModule, Module } from '@nestjs/common';
import type { GlimpseConfig } from '@glimpse/config';
import { BusModule, type BusOptions, healthController } from '@glimpse/bus';
import { Stores, openStores } from '@glimpse/stores';
import { SCRUB_SETTINGS, scrubSettings } from './scrub/scrub.settings';
import { Scrubber } from './scrub/scrubber.service';

/** Delayed delete: the scrubber daemon (the app) or one pass / a restore (the CLI). */
@Module({})
export class ScrubberModule {
  static forRoot(config: GlimpseConfig, bus: BusOptions, { daemon }: { daemon: boolean }): DynamicModule {
    return {
      module: ScrubberModule,
      imports: [BusModule.forRoot(bus)],
      controllers: daemon ? [healthController('scrubber')] : [],
      providers: [
        { provide: SCRUB_SETTINGS, useValue: scrubSettings(config, daemon) },
        {
          provide: Stores,
          useFactory: () => openStores(config),
        },
        Scrubber,
      ],
      exports: [Scrubber],
    };
  }
}
