import Database from 'better-sqlite3';
import type { CacheEntry, CacheIndex } from './cache-index';

interface Row {
  image_id: string;
  size: number;
  mtime_ms: number;
  hash_algo: string | null;
  hash_value: string | null;
  checksum: string | null;
  hits: number;
  last_accessed: number;
  last_modified: number;
}

function entryOf(row: Row): CacheEntry {
  return {
    imageId: row.image_id,
    size: row.size,
    mtimeMs: row.mtime_ms,
    hashAlgo: row.hash_algo,
    hashValue: row.hash_value,
    checksum: row.checksum,
    hits: row.hits,
    lastAccessed: row.last_accessed * 1000,
    lastModified: row.last_modified * 1000,
  };
}

/** image_cache_driver = sqlite: Glance's cached_images table (times in epoch seconds), plus what verification needs. */
export class SqliteCacheIndex implements CacheIndex {
  private readonly db: Database.Database;
  private readonly statements: {
    get: Database.Statement<[string], Row>;
    list: Database.Statement<[], Row>;
    insert: Database.Statement<Row>;
    touch: Database.Statement<[number, string]>;
    remove: Database.Statement<[string]>;
  };

  constructor(file: string) {
    this.db = new Database(file);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    this.db.exec(`CREATE TABLE IF NOT EXISTS cached_images (
      image_id TEXT PRIMARY KEY,
      last_accessed REAL DEFAULT 0.0,
      last_modified REAL DEFAULT 0.0,
      size INTEGER DEFAULT 0,
      hits INTEGER DEFAULT 0,
      checksum TEXT,
      mtime_ms REAL DEFAULT 0.0,
      hash_algo TEXT,
      hash_value TEXT
    )`);
    this.statements = {
      get: this.db.prepare('SELECT * FROM cached_images WHERE image_id = ?'),
      list: this.db.prepare('SELECT * FROM cached_images ORDER BY last_accessed, image_id'),
      insert: this.db.prepare(`INSERT OR REPLACE INTO cached_images
        (image_id, last_accessed, last_modified, size, hits, checksum, mtime_ms, hash_algo, hash_value)
        VALUES (@image_id, @last_accessed, @last_modified, @size, @hits, @checksum, @mtime_ms, @hash_algo, @hash_value)`),
      touch: this.db.prepare('UPDATE cached_images SET hits = hits + 1, last_accessed = ? WHERE image_id = ?'),
      remove: this.db.prepare('DELETE FROM cached_images WHERE image_id = ?'),
    };
  }

  get(imageId: string): CacheEntry | null {
    const row = this.statements.get.get(imageId);
    return row ? entryOf(row) : null;
  }

  list(): CacheEntry[] {
    return this.statements.list.all().map(entryOf);
  }

  insert(entry: CacheEntry): void {
    this.statements.insert.run({
      image_id: entry.imageId,
      size: entry.size,
      mtime_ms: entry.mtimeMs,
      hash_algo: entry.hashAlgo,
      hash_value: entry.hashValue,
      checksum: entry.checksum,
      hits: entry.hits,
      last_accessed: entry.lastAccessed / 1000,
      last_modified: entry.lastModified / 1000,
    });
  }

  touch(imageId: string, at: number): void {
    this.statements.touch.run(at / 1000, imageId);
  }

  remove(imageId: string): void {
    this.statements.remove.run(imageId);
  }

  close(): void {
    this.db.close();
  }
}
