import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { connect } from 'node:net';
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

  /** PUTs `body` and, on the same connection, a GET of the image; resolves with all the server sent. */
  async function uploadThenShow(id: string, body: Buffer): Promise<string> {
    const { port } = new URL(glimpse.url);
    const socket = connect(Number(port), '127.0.0.1');
    let received = '';
    socket.on('data', (chunk: Buffer) => (received += chunk.toString('latin1')));
    socket.write(`PUT /v2/images/${id}/file HTTP/1.1\r\nHost: x\r\nContent-Type: application/octet-stream\r\nContent-Length: ${body.length}\r\n\r\n`);
    socket.write(body);
    // Pipelined: the next request right behind the body. It must be answered, which it cannot be
    // while the refused body sits unread in front of it. (Node runs a pipelined request beside
    // the one before it, so its answer may show the image still saving.)
    socket.write(`GET /v2/images/${id} HTTP/1.1\r\nHost: x\r\n\r\n`);
    try {
      for (let i = 0; i < 80 && !/HTTP\/1\.1 200 [\s\S]*"id": ?"/.test(received); i++) await new Promise((r) => setTimeout(r, 50));
      return received;
    } finally {
      socket.destroy();
    }
  }

  it('answers a request pipelined behind a body the store refused, and the image is back to queued', async () => {
    const image = (await api(glimpse.url).post('/v2/images', { name: 'reused', disk_format: 'raw', container_format: 'bare' })).json();
    const received = await uploadThenShow(image.id, randomBytes(3 * 1024 * 1024));
    expect(received).toMatch(/^HTTP\/1\.1 413 /);
    expect(received).toMatch(/HTTP\/1\.1 200 [\s\S]*"id": ?"/);
    expect((await api(glimpse.url).get(`/v2/images/${image.id}`)).json().status).toBe('queued');
    expect(readdirSync(store).filter((name) => name.startsWith('.'))).toEqual([]);
  }, 10000);

  it('answers a request pipelined behind a body refused before a byte of it was read', async () => {
    const client = api(glimpse.url);
    const image = (await client.post('/v2/images', { name: 'active', disk_format: 'raw', container_format: 'bare' })).json();
    expect((await upload(glimpse.url, image.id, randomBytes(1024), null)).status).toBe(204);
    const received = await uploadThenShow(image.id, randomBytes(64 * 1024));
    expect(received).toMatch(/^HTTP\/1\.1 409 /);
    expect(received).toMatch(/HTTP\/1\.1 200 [\s\S]*"status": ?"active"/);
  }, 10000);
});
