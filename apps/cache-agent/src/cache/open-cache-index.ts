import type { CacheIndex } from './cache-index';
import type { CacheSettings } from './cache.settings';
import { SqliteCacheIndex } from './sqlite-cache-index';
import { type Xattr, XattrCacheIndex } from './xattr-cache-index';

/** The index image_cache_driver names; xattr is refused at start on a filesystem without user attributes. */
export function openCacheIndex(settings: CacheSettings): CacheIndex {
  switch (settings.driver) {
    case 'sqlite':
      return new SqliteCacheIndex(settings.sqliteFile);
    case 'xattr': {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const xattr = require('fs-xattr') as Xattr;
      XattrCacheIndex.check(settings.dir, xattr);
      return new XattrCacheIndex(settings.dir, xattr);
    }
  }
}
