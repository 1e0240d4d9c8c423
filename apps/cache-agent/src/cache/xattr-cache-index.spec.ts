import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Xattr, XattrCacheIndex } from './xattr-cache-index';

describe('XattrCacheIndex.check', () => {
  it('refuses a cache directory whose filesystem takes no user attributes, naming the way out, and leaves no probe behind', () => {
    const dir = mkdtempSync(join(tmpdir(), 'glimpse-xattr-'));
    const unsupported: Xattr = {
      getAttributeSync: () => Buffer.alloc(0),
      setAttributeSync: () => {
        throw Object.assign(new Error('Operation not supported'), { code: 'ENOTSUP' });
      },
    };
    try {
      expect(() => XattrCacheIndex.check(dir, unsupported)).toThrow(/does not support user extended attributes \(ENOTSUP\).*image_cache_driver = sqlite/);
      expect(readdirSync(dir)).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
