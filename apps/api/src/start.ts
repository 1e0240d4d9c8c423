import type { GlimpseConfig } from '@glimpse/config';
import { type RunningService, busOptions, launchService } from '@glimpse/bus';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { ApiModule } from './api.module';

/** Starts the Images API v2 on [DEFAULT] bind_host:bind_port. */
export async function start(config: GlimpseConfig): Promise<RunningService> {
  const bus = busOptions(config, 'api');
  return launchService({
    service: 'api',
    module: ApiModule.forRoot(config, bus),
    bus,
    http: { host: config.DEFAULT.bind_host, port: config.DEFAULT.bind_port },
    debug: config.DEFAULT.debug,
    logLevel: config.DEFAULT.log_level,
    configure: (app) => {
      const express = app as NestExpressApplication;
      express.disable('x-powered-by');
      express.disable('etag');
      express.set('query parser', 'simple');
    },
  });
}
