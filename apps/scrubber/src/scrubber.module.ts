import { type DynamicModule, Module } from '@nestjs/common';
import { BusModule, type BusOptions, healthController } from '@glimpse/bus';

/** Delayed delete. The scrub work arrives with the scrubber issue. */
@Module({})
export class ScrubberModule {
  static forRoot(bus: BusOptions): DynamicModule {
    return {
      module: ScrubberModule,
      imports: [BusModule.forRoot(bus)],
      controllers: [healthController('scrubber')],
    };
  }
}
