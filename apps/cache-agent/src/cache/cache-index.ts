/** What the index knows of one cached file: enough to tell it was not changed since it was verified. */
export interface CacheEntry {
  imageId: string;
  size: number;
  /** The file's mtime (ms) when it was verified. */
  mtimeMs: number;
  hashAlgo: string | null;
  hashValue: string | null;
  checksum: string | null;
  hits: number;
  /** Epoch milliseconds. */
  lastAccessed: number;
  lastModified: number;
}

/**
 * The cache index of one node (Glance's cache driver): which files are verified, and how often
 * and how recently each was read, for least-recently-used pruning.
 */
export interface CacheIndex {
  get(imageId: string): CacheEntry | null;
  /** Every entry, least recently accessed first. */
  list(): CacheEntry[];
  insert(entry: CacheEntry): void;
  /** Records a hit: hits + 1 and last_accessed = now. */
  touch(imageId: string, at: number): void;
  remove(imageId: string): void;
  close(): void;
}
