/**
 * The per-node image cache. Each cache agent answers the requests of its own node, so the API
 * and the operator CLIs can reach every node (or one) by name; prune and clean are also
 * broadcast to all agents by the pruner. Node names are subject tokens ([A-Za-z0-9_-]).
 */
export const CacheSubjects = {
  /** Cached and queued images of one node. Publisher: apps/api, CLIs. Consumer: that node's cache-agent. */
  list: (node: string) => `glimpse.cache.control.${node}.list.v1`,
  /** Queue images for prefetch on one node (its durable queue). Publisher: apps/api, CLIs. Consumer: that node's cache-agent. */
  queue: (node: string) => `glimpse.cache.control.${node}.queue.v1`,
  /** Evict one image and drop it from the queue. Publisher: apps/api, CLIs. Consumer: that node's cache-agent. */
  delete: (node: string) => `glimpse.cache.control.${node}.delete.v1`,
  /** Empty the cache, the queue or both. Publisher: apps/api, CLIs. Consumer: that node's cache-agent. */
  clear: (node: string) => `glimpse.cache.control.${node}.clear.v1`,
  /** Bring the node under image_cache_max_size, least recently accessed first. Publisher: apps/api, CLIs. Consumer: that node's cache-agent. */
  prune: (node: string) => `glimpse.cache.control.${node}.prune.v1`,
  /** Remove invalid files and incomplete ones older than image_cache_stall_time. Publisher: apps/api, CLIs. Consumer: that node's cache-agent. */
  clean: (node: string) => `glimpse.cache.control.${node}.clean.v1`,
} as const;

/** The directory of cache nodes, kept by the registry from the agents' heartbeats (so every API replica sees every node). */
export const CacheNodeSubjects = {
  /** An agent is alive (event). Publisher: cache-agent, every cache_heartbeat_interval. Consumer: apps/registry. */
  seen: 'glimpse.registry.cache.node.seen.v1',
  /** Nodes heard from within the last `withinSeconds`. Publisher: apps/api, CLIs. Consumer: apps/registry. */
  list: 'glimpse.registry.cache.node.list.v1',
} as const;

/** Messages every agent receives. */
export const CacheBroadcasts = {
  /** Prune now. Publisher: apps/pruner (on its schedule). Consumer: every cache-agent. */
  prune: 'glimpse.cache.agents.prune.v1',
  /** Clean now. Publisher: apps/pruner (on its schedule). Consumer: every cache-agent. */
  clean: 'glimpse.cache.agents.clean.v1',
} as const;

export type CacheFact = 'cached' | 'evicted' | 'invalid' | 'queued' | 'failed';

/** Readable facts of one node: `glimpse.cache.<node>.cached|evicted|invalid|queued|failed.v1`. Publisher: that node's cache-agent. Consumers: operators. */
export function cacheEventSubject(node: string, fact: CacheFact): string {
  return `glimpse.cache.${node}.${fact}.v1`;
}

/** One cached image as Glance's GET /v2/cache lists it (times are epoch seconds). */
export interface CachedImage {
  image_id: string;
  hits: number;
  last_accessed: number;
  last_modified: number;
  size: number;
}

export interface CacheNodeState {
  node: string;
  /** Where compute nodes fetch images from this agent. */
  url: string;
  cachedImages: CachedImage[];
  queuedImages: string[];
  /** Fills running now (a miss or a prefetch), with the bytes written so far: what progress bars show. */
  filling: FillProgress[];
  sizeBytes: number;
  maxSizeBytes: number;
}

export interface FillProgress {
  image_id: string;
  bytes: number;
  size: number;
}

export interface CacheHeartbeat {
  node: string;
  url: string;
  sizeBytes: number;
  maxSizeBytes: number;
  at: string;
}

export type CacheClearTarget = 'cache' | 'queue' | 'both';

export interface PruneResult {
  node: string;
  filesPruned: number;
  bytesPruned: number;
}

export interface CleanResult {
  node: string;
  invalidRemoved: number;
  stalledRemoved: number;
}

export interface CacheEvent {
  node: string;
  imageId: string;
  size?: number;
  reason?: string;
  at: string;
}

export interface CacheNodeRequestMap {
  [CacheNodeSubjects.list]: [{ withinSeconds: number }, { nodes: CacheHeartbeat[] }];
}

/** Request and reply of each per-node subject (the subject functions above name them). */
export interface CacheRequestMap {
  list: [Record<string, never>, CacheNodeState];
  queue: [{ imageIds: string[] }, { node: string; queued: string[] }];
  delete: [{ imageId: string }, { node: string; evicted: boolean; dequeued: boolean }];
  clear: [{ target: CacheClearTarget }, { node: string; evicted: number; dequeued: number }];
  prune: [Record<string, never>, PruneResult];
  clean: [Record<string, never>, CleanResult];
}
