import type { GlimpseConfig } from '@glimpse/config';
import { type RunningService, busOptions, launchService } from '@glimpse/bus';
import { RegistryModule } from './registry.module';

/** Starts the registry: the database, the registry.* subjects and, in cluster mode, /healthcheck. */
export async function start(config: GlimpseConfig): Promise<RunningService> {
  const embedded = config.DEFAULT.transport === 'in-process';
  const port = config.registry.registry_health_port;
  return launchService({
    service: 'registry',
    module: RegistryModule.forRoot(config, busOptions(config, 'registry')),
    bus: busOptions(config, 'registry'),
    http: embedded || port === 0 ? null : { host: config.DEFAULT.bind_host, port },
    debug: config.DEFAULT.debug,
    logLevel: config.DEFAULT.log_level,
  });
}
