import type { GlimpseConfig } from '@glimpse/config';
import { type RunningService, busOptions, launchService } from '@glimpse/bus';
import { CacheAgentModule } from './cache-agent.module';

/** Joins the bus and answers its health check (over the bus, and over HTTP in cluster mode). */
export async function start(config: GlimpseConfig): Promise<RunningService> {
  const embedded = config.DEFAULT.transport === 'in-process';
  const port = config.cache_agent.cache_agent_port;
  const bus = busOptions(config, 'cache-agent');
  return launchService({
    service: 'cache-agent',
    module: CacheAgentModule.forRoot(bus),
    bus,
    http: embedded || port === 0 ? null : { host: config.DEFAULT.bind_host, port },
    debug: config.DEFAULT.debug,
    broadcast: true,
  });
}
