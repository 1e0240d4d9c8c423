import type { GlimpseConfig } from '@glimpse/config';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';

export const CACHE_SETTINGS = Symbol('CACHE_SETTINGS');

/** The slice of the configuration one cache agent uses. */
export interface CacheSettings {
  /** Absolute cache directory (image_cache_dir). */
  dir: string;
  driver: 'sqlite' | 'xattr';
  sqliteFile: string;
  maxSizeBytes: number;
  stallTimeMs: number;
  node: string;
  /** Filled in once the HTTP server is bound when cache_agent_url is not set. */
  url: string | null;
  prefetchConcurrency: number;
  verifyIntervalMs: number;
  heartbeatIntervalMs: number;
  reconcileIntervalMs: number;
  /** Embedded mode: the prefetch queue persists in a SQLite file instead of JetStream. */
  embedded: boolean;
}

/** Node names are NATS subject tokens. */
export function nodeNameOf(raw: string): string {
  return raw.replace(/[^A-Za-z0-9_-]/g, '-');
}

export function cacheSettings(config: GlimpseConfig): CacheSettings | null {
  const dir = config.DEFAULT.image_cache_dir;
  if (!dir) return null;
  const agent = config.cache_agent;
  const absolute = resolve(dir);
  return {
    dir: absolute,
    driver: config.DEFAULT.image_cache_driver,
    sqliteFile: join(absolute, config.DEFAULT.image_cache_sqlite_db),
    maxSizeBytes: config.DEFAULT.image_cache_max_size,
    stallTimeMs: config.DEFAULT.image_cache_stall_time * 1000,
    node: nodeNameOf(agent.cache_node_name ?? hostname()),
    url: agent.cache_agent_url,
    prefetchConcurrency: agent.cache_prefetch_concurrency,
    verifyIntervalMs: agent.cache_verify_interval * 1000,
    heartbeatIntervalMs: agent.cache_heartbeat_interval * 1000,
    reconcileIntervalMs: agent.cache_reconcile_interval * 1000,
    embedded: config.DEFAULT.transport === 'in-process',
  };
}
