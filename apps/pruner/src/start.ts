import type { GlimpseConfig } from '@glimpse/config';
import { type RunningService, busOptions, launchService } from '@glimpse/bus';
import { PrunerModule } from './pruner.module';

/** Joins the bus and answers its health check (over the bus, and over HTTP in cluster mode). */
export async function start(config: GlimpseConfig): Promise<RunningService> {
  const embedded = config.DEFAULT.transport === 'in-process';
  const port = config.pruner.pruner_health_port;
  const bus = busOptions(config, 'pruner');
  return launchService({
    service: 'pruner',
    module: PrunerModule.forRoot(config, bus),
    bus,
    http: embedded || port === 0 ? null : { host: config.DEFAULT.bind_host, port },
    debug: config.DEFAULT.debug,
    logLevel: config.DEFAULT.log_level,
  });
}
