import { type DynamicModule, Module } from '@nestjs/common';
import { BusModule, type BusOptions, healthController } from '@glimpse/bus';

/** Cache size and hygiene policy. Prune and clean arrive with the cache issue. */
@Module({})
export class PrunerModule {
  static forRoot(bus: BusOptions): DynamicModule {
    return {
      module: PrunerModule,
      imports: [BusModule.forRoot(bus)],
      controllers: [healthController('pruner')],
    };
  }
}
