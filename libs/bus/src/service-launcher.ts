import type { INestApplication, Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { ServiceName } from '@glimpse/contracts';
import { JsonLogger, type LogLevel, createLogger, serveMetrics } from '@glimpse/telemetry';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type BusOptions, busServer } from './bus.module';

export interface LaunchOptions {
  service: ServiceName;
  module: Type<unknown> | import('@nestjs/common').DynamicModule;
  bus: BusOptions;
  /** Listen for HTTP here; port 0 picks a free one; null means no HTTP server. */
  http: { host: string; port: number } | null;
  debug: boolean;
  /** [DEFAULT] log_level; debug = true lowers it to debug. */
  logLevel: LogLevel;
  /** Cache agents receive every message instead of sharing a queue group. */
  broadcast?: boolean;
  configure?: (app: INestApplication) => void;
}

export interface RunningService {
  service: ServiceName;
  app: INestApplication;
  /** The HTTP address actually bound, when there is one. */
  url: string | null;
  close(): Promise<void>;
}

/** Starts one app: its Nest module, its bus listener and (optionally) its HTTP server. */
export async function launchService(options: LaunchOptions): Promise<RunningService> {
  const level: LogLevel = options.debug && options.logLevel !== 'trace' ? 'debug' : options.logLevel;
  const app = await NestFactory.create(options.module as Type<unknown>, {
    // Nest's logger is one per process: embedded mode's five apps log as one service.
    logger: new JsonLogger(createLogger(options.bus.transport === 'in-process' ? 'embedded' : options.service, level)),
    bodyParser: false,
    abortOnError: false,
  });
  app.enableShutdownHooks();
  // Prometheus scrapes every app that has a port; embedded mode's one registry covers all five.
  if (options.http) app.getHttpAdapter().get('/metrics', (req: IncomingMessage, res: ServerResponse) => serveMetrics(req, res));
  options.configure?.(app);
  app.connectMicroservice(busServer(options.bus, { broadcast: options.broadcast }), { inheritAppConfig: true });
  await app.startAllMicroservices();
  let url: string | null = null;
  if (options.http) {
    await app.listen(options.http.port, options.http.host);
    const address = app.getHttpServer().address() as AddressInfo;
    url = `http://${address.address.includes(':') ? `[${address.address}]` : address.address}:${address.port}`;
  } else {
    await app.init();
  }
  return { service: options.service, app, url, close: () => app.close() };
}
