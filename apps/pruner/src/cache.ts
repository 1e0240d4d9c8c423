import './telemetry';
import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { ConfigError, type GlimpseConfig, loadConfig } from '@glimpse/config';
import { BusClient, CacheFleet, RegistryClient, busOptions } from '@glimpse/bus';
import { COMMANDS } from './cli/cache-commands';
import { PrunerModule } from './pruner.module';

const USAGE = `usage: cache.js <command> [--node <name>]... [image id...]
commands: ${Object.keys(COMMANDS).join(', ')}`;

/**
 * The cache's operator CLI (cluster mode, over NATS): glance-cache-pruner, -cleaner, -prefetcher
 * and glance-cache-manage for every node at once, or for those named with --node.
 */
async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  const command = name ? COMMANDS[name] : undefined;
  if (!command) {
    console.error(USAGE);
    return 2;
  }
  const nodes: string[] = [];
  const args: string[] = [];
  for (let i = 0; i < rest.length; i++) {
    if (rest[i] === '--node') nodes.push(rest[++i] ?? '');
    else args.push(rest[i]);
  }
  let config: GlimpseConfig;
  try {
    config = loadConfig(undefined, { transport: 'nats' });
  } catch (error) {
    console.error(`glimpse-cache: ${(error as Error).message}`);
    return error instanceof ConfigError ? 2 : 1;
  }
  const scheduleOff = { ...config, pruner: { ...config.pruner, image_cache_prune_interval: 0, image_cache_clean_interval: 0 } };
  const app = await NestFactory.createApplicationContext(PrunerModule.forRoot(scheduleOff, busOptions(config, 'pruner')), { logger: ['error'] });
  const bus = app.get(BusClient);
  const fleet = new CacheFleet(bus, new RegistryClient(bus), Math.max(15, config.cache_agent.cache_heartbeat_interval * 3));
  try {
    return await command({ fleet, nodes, args, print: (line) => console.log(line), progress: process.stderr });
  } catch (error) {
    console.error(`glimpse-cache: ${(error as Error).message}`);
    return 1;
  } finally {
    await app.close();
  }
}

main(process.argv.slice(2)).then((code) => process.exit(code));
