import { Inject, Injectable, Logger, type OnModuleDestroy } from '@nestjs/common';
import type { CachedImage, CleanResult, FillProgress, ImageRecord, PruneResult } from '@glimpse/contracts';
import { Stores } from '@glimpse/stores';
import { createReadStream } from 'node:fs';
import { readdir, rm, stat } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { CacheEvents } from './cache-events';
import { CacheFill, type FillTarget } from './cache-fill';
import type { CacheEntry, CacheIndex } from './cache-index';
import { CacheLayout } from './cache-layout';
import { CACHE_SETTINGS, type CacheSettings } from './cache.settings';
import { CacheStats } from './cache-stats';

export const CACHE_INDEX = Symbol('CACHE_INDEX');

const READ_CHUNK = 1024 * 1024;

export interface ByteSpan {
  start: number;
  end: number;
}

/**
 * One node's cache: verified files served straight from disk, one fill per image however many
 * clients ask at once, and the housekeeping Glance's pruner and cleaner do. The index is the
 * truth about which files are verified; a file whose size or mtime no longer matches its entry
 * was changed behind our back and is evicted instead of served.
 */
@Injectable()
export class ImageCache implements OnModuleDestroy {
  private readonly logger = new Logger('ImageCache');
  private readonly fills = new Map<string, CacheFill>();
  readonly layout: CacheLayout;

  constructor(
    @Inject(CACHE_SETTINGS) private readonly settings: CacheSettings,
    @Inject(CACHE_INDEX) private readonly index: CacheIndex,
    private readonly stores: Stores,
    private readonly events: CacheEvents,
    readonly stats: CacheStats,
  ) {
    this.layout = new CacheLayout(settings.dir);
  }

  onModuleDestroy(): void {
    this.index.close();
  }

  /** The verified entry of an image whose file is still as it was verified, or null. */
  async lookup(imageId: string): Promise<CacheEntry | null> {
    const entry = this.index.get(imageId);
    if (!entry) return null;
    const file = await stat(this.layout.cached(imageId)).catch(() => null);
    if (file && file.size === entry.size && file.mtimeMs === entry.mtimeMs) return entry;
    await this.evict(imageId, file ? 'the file changed on disk after it was verified' : 'the file is gone');
    return null;
  }

  /** Bytes of a verified file; records the hit. */
  openHit(entry: CacheEntry, span?: ByteSpan): Readable {
    this.index.touch(entry.imageId, Date.now());
    const stream = createReadStream(this.layout.cached(entry.imageId), { start: span?.start, end: span?.end, highWaterMark: READ_CHUNK });
    this.stats.countHit(stream);
    return stream;
  }

  /** Records a hit whose bytes went out without a stream (sendfile). */
  recordHit(entry: CacheEntry, bytes: number): void {
    this.index.touch(entry.imageId, Date.now());
    this.stats.hits++;
    this.stats.bytesFromCache += bytes;
  }

  /** Each running fill and how far it is. */
  progress(): FillProgress[] {
    return [...this.fills.values()].map((fill) => ({ image_id: fill.target.imageId, bytes: fill.bytesWritten, size: fill.target.size }));
  }

  isFilling(imageId: string): boolean {
    return this.fills.has(imageId);
  }

  /** The running fill of an image, or a new one reading from the image's stores. */
  fill(image: ImageRecord): CacheFill {
    const running = this.fills.get(image.id);
    if (running) return running;
    const target: FillTarget = {
      imageId: image.id,
      size: image.size ?? 0,
      hashAlgo: image.osHashAlgo,
      hashValue: image.osHashValue,
      checksum: image.checksum,
    };
    const fill = new CacheFill(
      target,
      { incomplete: this.layout.incomplete(image.id), cached: this.layout.cached(image.id), invalid: this.layout.invalid(image.id) },
      async () => {
        const { data } = await this.stores.open(image.locations, { size: target.size });
        this.stats.originReads++;
        return data.stream;
      },
      (bytes) => this.stats.addOriginBytes(bytes),
    );
    this.fills.set(image.id, fill);
    fill.done.then(
      ({ mtimeMs }) => {
        const now = Date.now();
        this.index.insert({ ...target, mtimeMs, hits: 0, lastAccessed: now, lastModified: now });
        this.events.cached(image.id, target.size);
      },
      (error: Error) => {
        this.logger.warn(`image ${image.id}: not cached: ${error.message}`);
        if ((error as { invalid?: boolean }).invalid) this.events.invalid(image.id, error.message);
      },
    ).finally(() => this.fills.delete(image.id));
    return fill;
  }

  /** Removes an image's file and entry; true when it was cached. */
  async evict(imageId: string, reason: string): Promise<boolean> {
    const entry = this.index.get(imageId);
    this.index.remove(imageId);
    const existed = await stat(this.layout.cached(imageId)).then(() => true, () => false);
    await rm(this.layout.cached(imageId), { force: true });
    if (entry || existed) this.events.evicted(imageId, reason, entry?.size);
    return entry !== null || existed;
  }

  async evictAll(reason: string): Promise<number> {
    const entries = this.index.list();
    for (const entry of entries) await this.evict(entry.imageId, reason);
    return entries.length;
  }

  list(): CachedImage[] {
    return this.index.list().map((entry) => ({
      image_id: entry.imageId,
      hits: entry.hits,
      last_accessed: entry.lastAccessed / 1000,
      last_modified: entry.lastModified / 1000,
      size: entry.size,
    }));
  }

  entries(): CacheEntry[] {
    return this.index.list();
  }

  sizeBytes(): number {
    return this.index.list().reduce((sum, entry) => sum + entry.size, 0);
  }

  /** Least recently accessed first, until the node is under image_cache_max_size. */
  async prune(): Promise<PruneResult> {
    const result: PruneResult = { node: this.settings.node, filesPruned: 0, bytesPruned: 0 };
    let size = this.sizeBytes();
    for (const entry of this.index.list()) {
      if (size <= this.settings.maxSizeBytes) break;
      await this.evict(entry.imageId, 'pruned: least recently used beyond image_cache_max_size');
      size -= entry.size;
      result.filesPruned++;
      result.bytesPruned += entry.size;
    }
    return result;
  }

  /** Every file in invalid/, and files in incomplete/ older than image_cache_stall_time that no fill is writing. */
  async clean(now = Date.now()): Promise<CleanResult> {
    const result: CleanResult = { node: this.settings.node, invalidRemoved: 0, stalledRemoved: 0 };
    for (const name of await readdir(this.layout.invalidDir)) {
      await rm(this.layout.invalid(name), { force: true, recursive: true });
      result.invalidRemoved++;
    }
    for (const name of await readdir(this.layout.incompleteDir)) {
      if (this.fills.has(name)) continue;
      const file = await stat(this.layout.incomplete(name)).catch(() => null);
      if (!file || now - file.mtimeMs < this.settings.stallTimeMs) continue;
      await rm(this.layout.incomplete(name), { force: true, recursive: true });
      result.stalledRemoved++;
    }
    return result;
  }
}
