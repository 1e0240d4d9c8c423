import { Logger } from '@nestjs/common';
import { ConfigError, type GlimpseConfig, loadConfig } from '@glimpse/config';
import type { ServiceName } from '@glimpse/contracts';
import type { RunningService } from './service-launcher';

/**
 * The entry point of an app run as its own process: configuration (NATS by default, since the
 * in-process bus needs every app in one process), start, and a clean stop on SIGTERM/SIGINT.
 */
export function runStandalone(service: ServiceName, start: (config: GlimpseConfig) => Promise<RunningService>): void {
  const logger = new Logger(service);
  let config: GlimpseConfig;
  try {
    config = loadConfig(undefined, { transport: 'nats' });
  } catch (error) {
    console.error(`glimpse-${service}: ${(error as Error).message}`);
    process.exit(error instanceof ConfigError ? 2 : 1);
  }
  if (config.DEFAULT.transport === 'in-process') {
    console.error(`glimpse-${service}: [DEFAULT] transport = in-process needs every app in one process (npm start); use transport = nats`);
    process.exit(2);
  }
  start(config).then(
    (running) => {
      logger.log(`glimpse-${service} started${running.url ? ` on ${running.url}` : ''} (pid ${process.pid})`);
      const stop = (signal: string) => {
        logger.log(`${signal}: stopping`);
        running.close().then(
          () => process.exit(0),
          () => process.exit(1),
        );
      };
      process.once('SIGTERM', () => stop('SIGTERM'));
      process.once('SIGINT', () => stop('SIGINT'));
    },
    (error: Error) => {
      console.error(`glimpse-${service}: failed to start: ${error.message}`);
      process.exit(1);
    },
  );
}
