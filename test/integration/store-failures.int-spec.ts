import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type RunningGlimpse, startGlimpse } from '../support/glimpse';
import { api, upload } from '../support/http';

/**
 * A store that runs out of space mid-upload: a real 2 MiB tmpfs as the filesystem store (the
 * test machine runs as root, which mounting needs; anywhere else this fails and says why).
 */
describe('store write failure (embedded, full disk)', () => {
  let dir: string;
  let store: string;
  let glimpse: RunningGlimpse;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'glimpse-full-'));
    store = join(dir, 'store');
    mkdirSync(store);
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=2m', 'tmpfs', store], { stdio: 'pipe' });
    } catch (error) {
      throw new Error(`this test mounts a 2 MiB tmpfs and needs root: ${(error as Error).message}`);
    }
    glimpse = await startGlimpse('embedded', { GLIMPSE_FILESYSTEM_STORE_DATADIR: store });
  }, 60000);

  afterAll(async () => {
    await glimpse?.stop();
    execFileSync('umount', [store], { stdio: 'pipe' });
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers 413, returns the image to queued and leaves nothing in the store', async () => {
    const client = api(glimpse.url);
    const image = (await client.post('/v2/images', { name: 'big', disk_format: 'raw', container_format: 'bare' })).json();
    const res = await upload(glimpse.url, image.id, randomBytes(3 * 1024 * 1024), null);
    expect(res.status).toBe(413);
    expect(res.text).toContain('not enough disk space');
    expect((await client.get(`/v2/images/${image.id}`)).json().status).toBe('queued');
    expect(readdirSync(store)).toEqual([]);
    const small = randomBytes(1024);
    expect((await upload(glimpse.url, image.id, small, null)).status).toBe(204);
    expect(readdirSync(store)).toEqual([image.id]);
  });
});
