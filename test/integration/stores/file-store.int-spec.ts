import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FilesystemStore } from '@glimpse/stores';
import { describeStoreConformance } from '../../support/store-conformance';

const dir = mkdtempSync(join(tmpdir(), 'glimpse-file-conformance-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describeStoreConformance('file', {
  open: async () => {
    const store = new FilesystemStore(dir);
    await store.prepare();
    return store;
  },
  leftovers: async () => readdirSync(dir),
  largeBytes: 200 * 1024 * 1024,
});
