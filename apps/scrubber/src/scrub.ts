import './telemetry';
import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { ConfigError, type GlimpseConfig, loadConfig } from '@glimpse/config';
import { BusClient, busOptions } from '@glimpse/bus';
import { type ScrubStatus, ScrubSubjects } from '@glimpse/contracts';
import { ScrubberModule } from './scrubber.module';
import { Scrubber } from './scrub/scrubber.service';

/**
 * glance-scrubber for Glimpse (cluster mode, over NATS):
 *   scrub.js                one pass; exit 0 when everything due was scrubbed, 1 otherwise
 *   scrub.js --daemon       a pass every wakeup_time, forever
 *   scrub.js restore <id>   bring a pending_delete image back to active (and cancel its job)
 *   scrub.js status         a running daemon's backlog, failures and last pass, as JSON
 */
async function main(argv: string[]): Promise<number> {
  let config: GlimpseConfig;
  try {
    config = loadConfig(undefined, { transport: 'nats' });
  } catch (error) {
    console.error(`glimpse-scrub: ${(error as Error).message}`);
    return error instanceof ConfigError ? 2 : 1;
  }
  const daemon = argv.includes('--daemon');
  const restoreAt = argv.indexOf('restore');
  if (daemon && restoreAt >= 0) {
    console.error('glimpse-scrub: restore cannot be combined with --daemon');
    return 2;
  }
  const app = await NestFactory.createApplicationContext(ScrubberModule.forRoot(config, busOptions(config, 'scrubber'), { daemon }), {
    logger: ['error', 'warn'],
  });
  const scrubber = app.get(Scrubber);
  if (daemon) {
    process.once('SIGTERM', () => void app.close().then(() => process.exit(0)));
    process.once('SIGINT', () => void app.close().then(() => process.exit(0)));
    await new Promise(() => undefined);
  }
  try {
    if (argv.includes('status')) {
      const status = await app
        .get(BusClient)
        .request<Record<string, never>, ScrubStatus>(ScrubSubjects.status, {})
        .catch((error: Error) => {
          throw new Error(`no scrubber daemon answered on ${ScrubSubjects.status}: ${error.message}`);
        });
      console.log(JSON.stringify(status, null, 2));
      return 0;
    }
    if (restoreAt >= 0) {
      const id = argv[restoreAt + 1];
      if (!id) throw new Error('restore needs an image id');
      await scrubber.restore(id);
      console.log(`image ${id} restored: active`);
      return 0;
    }
    const result = await scrubber.scrubOnce();
    console.log(`scrubbed ${result.scrubbed} image(s), ${result.failed} failed`);
    return result.failed === 0 ? 0 : 1;
  } catch (error) {
    console.error(`glimpse-scrub: ${(error as Error).message}`);
    return 1;
  } finally {
    await app.close();
  }
}

main(process.argv.slice(2)).then((code) => process.exit(code));
