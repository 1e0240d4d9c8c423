import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { type RunningGlimpse, startGlimpse } from '../support/glimpse';
import { api, download, upload } from '../support/http';

const ROOT = join(__dirname, '../..');

async function eventually(check: () => boolean, timeoutMs = 10000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (check()) return true;
    await new Promise((r) => setTimeout(r, 200));
  }
  return check();
}

async function activeImage(glimpse: RunningGlimpse, data: Buffer) {
  const client = api(glimpse.url);
  const image = (await client.post('/v2/images', { name: 'doomed', disk_format: 'raw', container_format: 'bare', colour: 'blue', tags: ['t1'] })).json();
  expect((await upload(glimpse.url, image.id, data, null)).status).toBe(204);
  return image.id as string;
}

const storeFiles = (glimpse: RunningGlimpse) => readdirSync(join(glimpse.dataDir, 'images'));

describe('delayed delete: the scrubber daemon (embedded)', () => {
  let glimpse: RunningGlimpse;
  beforeAll(async () => {
    glimpse = await startGlimpse('embedded', { GLIMPSE_DELAYED_DELETE: 'true', GLIMPSE_SCRUB_TIME: '2', GLIMPSE_WAKEUP_TIME: '1' });
  }, 60000);
  afterAll(async () => glimpse?.stop());

  it('keeps the data of a deleted image until scrub_time, then removes it', async () => {
    const id = await activeImage(glimpse, randomBytes(4096));
    const deletedAt = Date.now();
    expect((await api(glimpse.url).del(`/v2/images/${id}`)).status).toBe(204);
    expect((await api(glimpse.url).get(`/v2/images/${id}`)).status).toBe(404);
    expect((await api(glimpse.url).get('/v2/images')).json().images.map((i: any) => i.id)).not.toContain(id);
    expect(storeFiles(glimpse)).toContain(id);
    expect(await eventually(() => !storeFiles(glimpse).includes(id))).toBe(true);
    expect(Date.now() - deletedAt).toBeGreaterThanOrEqual(2000);
  }, 20000);
});

describe('delayed delete: scrub and restore from the CLI (cluster)', () => {
  let glimpse: RunningGlimpse;
  const cli = (...args: string[]) =>
    spawnSync(process.execPath, ['dist/apps/scrubber/scrub.js', ...args], {
      cwd: ROOT,
      env: {
        PATH: process.env['PATH'] ?? '',
        OTEL_SDK_DISABLED: 'true',
        GLIMPSE_BUS_NAMESPACE: glimpse.namespace!,
        GLIMPSE_DATA_DIR: glimpse.dataDir,
        GLIMPSE_SCRUB_TIME: '0',
      },
      encoding: 'utf8',
      timeout: 30000,
    });

  beforeAll(async () => {
    // The daemon waits an hour before it scrubs (its queued jobs come back then): only the CLI, with scrub_time 0, scrubs here.
    glimpse = await startGlimpse('cluster', { GLIMPSE_DELAYED_DELETE: 'true', GLIMPSE_SCRUB_TIME: '3600', GLIMPSE_WAKEUP_TIME: '3600' });
  }, 60000);
  afterAll(async () => glimpse?.stop());

  it('restore brings the image back whole: properties, tags, members and byte-identical data', async () => {
    const data = randomBytes(8192);
    const id = await activeImage(glimpse, data);
    const client = api(glimpse.url);
    expect((await client.post(`/v2/images/${id}/members`, { member: 'project-b' })).status).toBe(200);
    expect((await client.del(`/v2/images/${id}`)).status).toBe(204);
    expect((await client.get(`/v2/images/${id}`)).status).toBe(404);

    const restored = cli('restore', id);
    expect(restored.stderr).toBe('');
    expect(restored.status).toBe(0);
    expect(restored.stdout).toContain(`image ${id} restored`);

    const image = (await client.get(`/v2/images/${id}`)).json();
    expect(image).toMatchObject({ status: 'active', colour: 'blue', tags: ['t1'], size: data.length });
    expect((await client.get(`/v2/images/${id}/members`)).json().members.map((m: any) => m.member_id)).toEqual(['project-b']);
    expect((await download(glimpse.url, id, null)).body.equals(data)).toBe(true);
  }, 30000);

  it('one pass scrubs what is due and exits 0; restoring a scrubbed image fails clearly', async () => {
    const id = await activeImage(glimpse, randomBytes(2048));
    expect((await api(glimpse.url).del(`/v2/images/${id}`)).status).toBe(204);
    expect(storeFiles(glimpse)).toContain(id);

    const pass = cli();
    expect(pass.status).toBe(0);
    expect(pass.stdout).toMatch(/scrubbed [1-9]\d* image\(s\), 0 failed/);
    expect(storeFiles(glimpse)).not.toContain(id);

    const again = cli('restore', id);
    expect(again.status).toBe(1);
    expect(again.stderr).toContain(`Image ${id} cannot be restored: its data has already been scrubbed.`);
  }, 30000);

  it('a location whose data is already missing counts as deleted', async () => {
    const id = await activeImage(glimpse, randomBytes(1024));
    expect((await api(glimpse.url).del(`/v2/images/${id}`)).status).toBe(204);
    spawnSync('rm', ['-f', join(glimpse.dataDir, 'images', id)]);
    const pass = cli();
    expect(pass.status).toBe(0);
    expect(cli('restore', id).stderr).toContain('already been scrubbed');
  }, 30000);
});
