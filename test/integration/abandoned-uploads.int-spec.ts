import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type RunningGlimpse, startGlimpse } from '../support/glimpse';
import { api, upload } from '../support/http';
import { eventually } from '../support/eventually';
import { hangingUpload } from '../support/hanging-upload';

const MIB = 1024 * 1024;

/**
 * An upload whose API died (kill -9) leaves its image saving and a partial file in the store;
 * Glance keeps both for ever. Glimpse's API heartbeats the uploads it receives, and a saving
 * image without a heartbeat for abandoned_upload_timeout becomes killed and is purged.
 */
describe('abandoned uploads (embedded, file store)', () => {
  let dir: string;
  let glimpse: RunningGlimpse;
  const TIMEOUT_S = 2;
  const start = () => startGlimpse('embedded', { GLIMPSE_DATA_DIR: join(dir, 'data'), GLIMPSE_ABANDONED_UPLOAD_TIMEOUT: String(TIMEOUT_S) });
  const storeDir = () => join(dir, 'data', 'images');
  const leftoversOf = (id: string) => readdirSync(storeDir()).filter((name) => name.includes(id));
  const create = async () => (await api(glimpse.url).post('/v2/images', { name: 'a', disk_format: 'raw', container_format: 'bare' })).json();
  const show = async (id: string) => (await api(glimpse.url).get(`/v2/images/${id}`)).json();

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'glimpse-abandoned-'));
    glimpse = await start();
  }, 60000);
  afterAll(async () => {
    await glimpse?.stop();
    rmSync(dir, { recursive: true, force: true });
  }, 30000);

  it('keeps an upload that runs longer than the timeout: its API heartbeats it', async () => {
    const image = await create();
    const size = 6 * 64 * 1024;
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(`${glimpse.url}/v2/images/${image.id}/file`, { method: 'PUT', headers: { 'Content-Type': 'application/octet-stream', 'Content-Length': String(size) } });
      req.on('response', (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      let sent = 0;
      const trickle = setInterval(() => {
        req.write(Buffer.alloc(64 * 1024, 1));
        sent += 64 * 1024;
        if (sent === size) {
          clearInterval(trickle);
          req.end();
        }
      }, 1000); // six seconds: three times the timeout
    });
    expect(status).toBe(204);
    expect(await show(image.id)).toEqual(expect.objectContaining({ status: 'active', size }));
  }, 30000);

  it('kills the image of an upload whose API was killed, removes its partial file, and lets it be deleted', async () => {
    const image = await create();
    const hanging = hangingUpload(glimpse.url, image.id, 64 * MIB, 8 * MIB);
    await eventually(async () => leftoversOf(image.id), (names) => names.length > 0);
    expect((await show(image.id)).status).toBe('saving');
    await glimpse.crash();
    hanging.abort();
    expect(leftoversOf(image.id)).toEqual([expect.stringMatching(/\.partial$/)]); // what Glance would keep

    glimpse = await start();
    await eventually(() => show(image.id), (shown) => shown.status === 'killed', 15000);
    await eventually(async () => leftoversOf(image.id), (names) => names.length === 0);
    expect((await upload(glimpse.url, image.id, Buffer.from('x'), null)).status).toBe(409);
    expect((await api(glimpse.url).del(`/v2/images/${image.id}`)).status).toBe(204);
    expect((await api(glimpse.url).get(`/v2/images/${image.id}`)).status).toBe(404);
  }, 60000);

  it('queues again an image whose stage broke off with its API, and removes the partial staged file', async () => {
    const image = await create();
    const stagingDir = join(dir, 'data', 'staging');
    const partials = () => readdirSync(stagingDir).filter((name) => name.includes(image.id));
    const hanging = hangingUpload(glimpse.url, image.id, 64 * MIB, 8 * MIB, {}, 'stage');
    await eventually(async () => partials(), (names) => names.length > 0);
    expect((await show(image.id)).status).toBe('uploading');
    await glimpse.crash();
    hanging.abort();

    glimpse = await start();
    await eventually(() => show(image.id), (shown) => shown.status === 'queued', 15000);
    await eventually(async () => partials(), (names) => names.length === 0, 15000);
    expect((await upload(glimpse.url, image.id, Buffer.from('staged again'), null, { stage: true })).status).toBe(204);
    expect((await show(image.id)).status).toBe('uploading');
  }, 60000);

  it('leaves a staged image waiting for its import alone', async () => {
    const image = await create();
    expect((await upload(glimpse.url, image.id, Buffer.from('staged'), null, { stage: true })).status).toBe(204);
    await new Promise((resolve) => setTimeout(resolve, (TIMEOUT_S + 2) * 1000));
    expect(await show(image.id)).toEqual(expect.objectContaining({ status: 'uploading', size: 6 }));
  }, 30000);

  it('cuts an upload off with 410 as soon as its heartbeat finds the image deleted', async () => {
    const image = await create();
    let req: ReturnType<typeof request> | null = null;
    const answered = new Promise<{ status: number; body: string }>((resolve, reject) => {
      req = request(`${glimpse.url}/v2/images/${image.id}/file`, { method: 'PUT', headers: { 'Content-Type': 'application/octet-stream', 'Content-Length': String(64 * MIB) } });
      req.on('response', (res) => {
        let body = '';
        res.on('data', (chunk) => (body += chunk)).on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      });
      req.on('error', reject);
      req.write(Buffer.alloc(4 * MIB, 3)); // and nothing more: the client stalls
    });
    await eventually(async () => (await show(image.id)).status, (status) => status === 'saving');
    expect((await api(glimpse.url).del(`/v2/images/${image.id}`)).status).toBe(204);
    const { status, body } = await answered; // long before the 64 MiB could have arrived
    (req as ReturnType<typeof request> | null)?.destroy();
    expect([status, body]).toEqual([410, expect.stringContaining('no longer receiving data')]);
    expect(leftoversOf(image.id)).toEqual([]);
  }, 30000);
});
