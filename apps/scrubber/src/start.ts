import type { GlimpseConfig } from '@glimpse/config';
import { type RunningService, busOptions, launchService } from '@glimpse/bus';
import { ScrubberModule } from './scrubber.module';

/** The scrubber daemon: a pass every wakeup_time; its health check over the bus and, in cluster mode, HTTP. */
export async function start(config: GlimpseConfig): Promise<RunningService> {
  const embedded = config.DEFAULT.transport === 'in-process';
  const port = config.scrubber.scrubber_health_port;
  const bus = busOptions(config, 'scrubber');
  return launchService({
    service: 'scrubber',
    module: ScrubberModule.forRoot(config, bus, { daemon: true }),
    bus,
    http: embedded || port === 0 ? null : { host: config.DEFAULT.bind_host, port },
    debug: config.DEFAULT.debug,
    logLevel: config.DEFAULT.log_level,
  });
}
