import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CacheEntry } from './cache-index';
import { SqliteCacheIndex } from './sqlite-cache-index';

const entry = (imageId: string, lastAccessed: number): CacheEntry => ({
  imageId,
  size: 10,
  mtimeMs: 1234.5,
  hashAlgo: 'sha512',
  hashValue: 'ab',
  checksum: 'cd',
  hits: 0,
  lastAccessed,
  lastModified: lastAccessed,
});

describe('SqliteCacheIndex', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'glimpse-index-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('keeps entries across reopening, lists least recently accessed first, and counts hits', () => {
    const file = join(dir, 'cache.db');
    const index = new SqliteCacheIndex(file);
    index.insert(entry('b', 2000));
    index.insert(entry('a', 1000));
    index.touch('a', 5000);
    index.close();
    const reopened = new SqliteCacheIndex(file);
    expect(reopened.list().map((e) => e.imageId)).toEqual(['b', 'a']);
    expect(reopened.get('a')).toMatchObject({ hits: 1, lastAccessed: 5000, mtimeMs: 1234.5, hashValue: 'ab' });
    reopened.remove('a');
    expect(reopened.get('a')).toBeNull();
    reopened.close();
  });
});
