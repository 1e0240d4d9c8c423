import { type DynamicModule, Module } from '@nestjs/common';
import { BusModule, type BusOptions, healthController } from '@glimpse/bus';

/** The per-node cache agent. Serving, prefetch and eviction arrive with the cache issue. */
@Module({})
export class CacheAgentModule {
  static forRoot(bus: BusOptions): DynamicModule {
    return {
      module: CacheAgentModule,
      imports: [BusModule.forRoot(bus)],
      controllers: [healthController('cache-agent')],
    };
  }
}
