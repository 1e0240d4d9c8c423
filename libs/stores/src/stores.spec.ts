import { loadConfig } from '@glimpse/config';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FilesystemStore } from './filesystem.store';
import { StoreBackend } from './store-backend';
import type { StoreDriver } from './store.driver';
import { Stores, openStores } from './stores';

const backend = (driver: StoreDriver, id: string) => new StoreBackend(driver, { id, description: null, weight: 0, maxConcurrency: 4 });
const fast = backend(new FilesystemStore('/srv/fast'), 'fast');
const slow = backend(new FilesystemStore('/srv/slow'), 'slow');
const stores = new Stores([fast, slow], 'slow', true);

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'glimpse-stores-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('Stores', () => {
  it('serves a location from the store its metadata names, else from the store that owns it', () => {
    expect(stores.forLocation('file:///srv/fast/x', 'fast')).toBe(fast);
    expect(stores.forLocation('file:///srv/slow/x')).toBe(slow);
    expect(stores.forLocation('filesystem:///srv/fast/x')).toBe(fast);
    // Metadata naming a store that does not own the location is not trusted.
    expect(stores.forLocation('file:///srv/slow/x', 'fast')).toBe(slow);
  });

  it.each(['swift://container/x', 'file:///etc/passwd', '', 's3://key:secret@host/bucket/x'])('refuses %p, which no enabled store serves', (location) => {
    expect(() => stores.forLocation(location)).toThrow(expect.objectContaining({ failure: 'invalid_location' }));
  });

  it('never names credentials of a location in an error', () => {
    expect(() => stores.forLocation('s3://key:secret@host/bucket/x')).toThrow('No enabled store serves location s3://host/bucket/x');
  });

  it('writes new data to the default store and finds stores by id', () => {
    expect(stores.default).toBe(slow);
    expect(stores.find('fast')).toBe(fast);
    expect(stores.find('nope')).toBeUndefined();
    expect(stores.list()).toEqual([fast, slow]);
  });

  it('discards data: gone counts as deleted, a read-only store is left alone, other failures are thrown', async () => {
    const datadir = join(dir, 'discard');
    const file = new FilesystemStore(datadir);
    await file.prepare();
    const readOnly = { ...file, type: 'http', capabilities: { read: true, write: false, randomAccess: true }, owns: (l: string) => l.startsWith('http://'), delete: () => Promise.reject(new Error('must not be called')) } as unknown as StoreDriver;
    const discarding = new Stores([backend(file, 'file'), backend(readOnly, 'web')], 'file', false);
    writeFileSync(join(datadir, 'img'), 'data');
    await discarding.discard(`file://${datadir}/img`);
    await discarding.discard(`file://${datadir}/img`);
    await discarding.discard('http://images.example/x');
    await expect(discarding.discard(`file://${datadir}/sub/dir`)).resolves.toBeUndefined();
    await expect(discarding.discard('gopher://x')).rejects.toEqual(expect.objectContaining({ failure: 'invalid_location' }));
  });

  it('opens the configured backends, each prepared, and names the one that fails', async () => {
    const file = join(dir, 'glimpse.conf');
    writeFileSync(file, ['[DEFAULT]', 'enabled_backends = a:file, b:file', '[glance_store]', 'default_backend = b', '[a]', `filesystem_store_datadir = ${dir}/a`, 'weight = 5', '[b]', `filesystem_store_datadir = ${dir}/b`].join('\n'));
    const opened = await openStores(loadConfig({ argv: ['--config-file', file], env: {} }));
    expect(opened.list().map((b) => [b.id, b.type, b.weight])).toEqual([['a', 'file', 5], ['b', 'file', 0]]);
    expect([opened.default.id, opened.multiStore]).toEqual(['b', true]);
    writeFileSync(join(dir, 'blocker'), 'not a directory');
    writeFileSync(file, ['[glance_store]', 'stores = file', `filesystem_store_datadir = ${dir}/blocker/images`].join('\n'));
    await expect(openStores(loadConfig({ argv: ['--config-file', file], env: {} }))).rejects.toThrow(/^store file \(file\): filesystem_store_datadir=.*blocker\/images is not writable/);
  });
});
