import type { GlimpseConfig } from '@glimpse/config';
import { type RunningService, busOptions, launchService } from '@glimpse/bus';
import { CacheAgentModule } from './cache-agent.module';
import { cacheSettings } from './cache/cache.settings';
import { CacheHousekeeping } from './control/cache-housekeeping';

/**
 * Joins the bus and, with image_cache_dir set, serves the node's cache on cache_agent_port (in
 * both modes: compute nodes fetch images from it). Without a cache, HTTP is only for the cluster
 * health check.
 */
export async function start(config: GlimpseConfig): Promise<RunningService> {
  const embedded = config.DEFAULT.transport === 'in-process';
  const port = config.cache_agent.cache_agent_port;
  const settings = cacheSettings(config);
  const bus = busOptions(config, 'cache-agent');
  const serves = settings !== null || (!embedded && port !== 0);
  const running = await launchService({
    service: 'cache-agent',
    module: CacheAgentModule.forRoot(config, bus, settings),
    bus,
    http: serves ? { host: config.DEFAULT.bind_host, port } : null,
    debug: config.DEFAULT.debug,
    logLevel: config.DEFAULT.log_level,
    broadcast: true,
  });
  if (settings && settings.url === null) {
    settings.url = running.url;
    running.app.get(CacheHousekeeping).heartbeat();
  }
  return running;
}
