import { readdirSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CacheEntry, CacheIndex } from './cache-index';
import { CacheLayout } from './cache-layout';

/** The calls of the fs-xattr addon this index uses (Node itself has no extended attributes). */
export interface Xattr {
  getAttributeSync(path: string, name: string): Buffer;
  setAttributeSync(path: string, name: string, value: string): void;
}

const ENTRY = 'user.glimpse.cache';

export class XattrUnsupportedError extends Error {}

/**
 * image_cache_driver = xattr: each cached file carries its own entry in a user extended
 * attribute, so the index can never disagree with the directory. Changing an attribute touches
 * ctime only: the mtime a hit is checked against stays the verified one.
 */
export class XattrCacheIndex implements CacheIndex {
  constructor(
    private readonly dir: string,
    private readonly xattr: Xattr,
  ) {}

  /** Glance's start-up check: the cache directory's filesystem must take user attributes. */
  static check(dir: string, xattr: Xattr): void {
    const probe = join(dir, '.xattr-probe');
    writeFileSync(probe, '');
    try {
      xattr.setAttributeSync(probe, 'user.glimpse.probe', '1');
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      throw new XattrUnsupportedError(
        `image_cache_driver = xattr: the filesystem of image_cache_dir ${dir} does not support user extended attributes (${code ?? (error as Error).message}); mount it with user_xattr or set image_cache_driver = sqlite`,
      );
    } finally {
      unlinkSync(probe);
    }
  }

  get(imageId: string): CacheEntry | null {
    if (!CacheLayout.isImageId(imageId)) return null;
    try {
      return JSON.parse(this.xattr.getAttributeSync(join(this.dir, imageId), ENTRY).toString()) as CacheEntry;
    } catch {
      return null;
    }
  }

  list(): CacheEntry[] {
    const entries: CacheEntry[] = [];
    for (const name of readdirSync(this.dir)) {
      if (!CacheLayout.isImageId(name) || !statSync(join(this.dir, name), { throwIfNoEntry: false })?.isFile()) continue;
      const entry = this.get(name);
      if (entry) entries.push(entry);
    }
    return entries.sort((a, b) => a.lastAccessed - b.lastAccessed || a.imageId.localeCompare(b.imageId));
  }

  insert(entry: CacheEntry): void {
    this.write(entry);
  }

  touch(imageId: string, at: number): void {
    const entry = this.get(imageId);
    if (entry) this.write({ ...entry, hits: entry.hits + 1, lastAccessed: at });
  }

  remove(): void {
    // The entry lives on the file: removing the file (the caller does) removes it.
  }

  close(): void {
    // Nothing is held open.
  }

  private write(entry: CacheEntry): void {
    this.xattr.setAttributeSync(join(this.dir, entry.imageId), ENTRY, JSON.stringify(entry));
  }
}
