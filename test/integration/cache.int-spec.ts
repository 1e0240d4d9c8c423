import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { type Server, createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type RunningApp, type RunningGlimpse, startApp, startGlimpse } from '../support/glimpse';
import { ADMIN, ALICE, BOB, api, identityHeaders, upload } from '../support/http';
import { runProcess } from '../support/run-process';
import { restartNats } from '../support/services';
import { eventually } from '../support/eventually';

const MIB = 1024 * 1024;
const sha512 = (bytes: Buffer) => createHash('sha512').update(bytes).digest('hex');
const md5 = (bytes: Buffer) => createHash('md5').update(bytes).digest('hex');

interface Fetched {
  status: number;
  headers: Headers;
  body: Buffer;
  /** The body ended before Content-Length: the connection was cut. */
  cut: boolean;
}

/** GET from a cache agent, keeping whatever arrived when the connection is cut. */
async function fetchFile(agent: string, id: string, headers: Record<string, string> = identityHeaders(ADMIN)): Promise<Fetched> {
  const res = await fetch(`${agent}/v2/images/${id}/file`, { headers });
  const chunks: Buffer[] = [];
  let cut = false;
  try {
    for await (const chunk of res.body ?? []) chunks.push(Buffer.from(chunk as Uint8Array));
  } catch {
    cut = true;
  }
  return { status: res.status, headers: res.headers, body: Buffer.concat(chunks), cut };
}

/**
 * An origin an image can point at through an http location: it answers HEAD with the size and
 * sends the first half of the bytes at once, the rest only once `release()` is called.
 */
function drippingOrigin(bytes: Buffer) {
  let released = false;
  const waiting: (() => void)[] = [];
  let requests = 0;
  const server: Server = createServer((req, res) => {
    res.writeHead(200, { 'Content-Length': bytes.length, 'Content-Type': 'application/octet-stream' });
    if (req.method === 'HEAD') return void res.end();
    requests++;
    const half = Math.floor(bytes.length / 2);
    res.write(bytes.subarray(0, half));
    const rest = () => res.end(bytes.subarray(half));
    if (released) rest();
    else waiting.push(rest);
  });
  return {
    server,
    get requests() {
      return requests;
    },
    release() {
      released = true;
      for (const send of waiting.splice(0)) send();
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe('per-node image cache (cluster: real NATS with JetStream and MariaDB, two agents)', () => {
  let glimpse: RunningGlimpse;
  let a: RunningApp;
  let b: RunningApp;
  const caches = mkdtempSync(join(tmpdir(), 'glimpse-caches-'));
  const admin = () => api(glimpse.url, ADMIN);
  const agentEnv = (node: string, extra: Record<string, string> = {}) => ({
    GLIMPSE_CACHE_NODE_NAME: node,
    GLIMPSE_IMAGE_CACHE_DIR: join(caches, node),
    ...extra,
  });
  const cacheDir = (node: string) => join(caches, node);

  async function createImage(bytes: Buffer, owner = ADMIN, fields: Record<string, unknown> = {}): Promise<string> {
    const created = await api(glimpse.url, owner).post('/v2/images', { disk_format: 'raw', container_format: 'bare', ...fields });
    expect(created.status).toBe(201);
    const id = created.json().id as string;
    expect((await upload(glimpse.url, id, bytes, owner)).status).toBe(204);
    return id;
  }

  async function cachedOn(node: string): Promise<string[]> {
    const listed = await admin().get(`/v2/cache?node=${node}`);
    expect(listed.status).toBe(200);
    return listed.json().cached_images.map((image: { image_id: string }) => image.image_id);
  }

  async function stats(agent: RunningApp): Promise<Record<string, number>> {
    return (await fetch(`${agent.url}/stats`)).json() as Promise<Record<string, number>>;
  }

  beforeAll(async () => {
    glimpse = await startGlimpse('cluster', {
      GLIMPSE_AUTH_STRATEGY: 'trusted',
      GLIMPSE_SHOW_MULTIPLE_LOCATIONS: 'true',
      GLIMPSE_CACHE_NODE_NAME: 'default',
      GLIMPSE_IMAGE_CACHE_DIR: join(caches, 'default'),
      GLIMPSE_CACHE_HEARTBEAT_INTERVAL: '1',
      GLIMPSE_CACHE_PREFETCH_CONCURRENCY: '1',
    });
    a = await startApp(glimpse, 'cache-agent', 'GLIMPSE_CACHE_AGENT_PORT', agentEnv('node-a'));
    b = await startApp(glimpse, 'cache-agent', 'GLIMPSE_CACHE_AGENT_PORT', agentEnv('node-b', { GLIMPSE_CACHE_VERIFY_INTERVAL: '1' }));
    // Both are in the registry's directory once they have sent a heartbeat.
    await eventually(async () => (await admin().get('/v2/cache')).status, (s) => s === 200);
    await eventually(
      async () => (await admin().get('/v2/cache?node=node-a,node-b')).status,
      (s) => s === 200,
    );
  }, 90000);

  afterAll(async () => {
    await a?.stop();
    await b?.stop();
    await glimpse?.stop();
    rmSync(caches, { recursive: true, force: true });
  });

  it('serves a miss with the bytes and headers of the API, then the same bytes from its disk (one node only)', async () => {
    const bytes = randomBytes(8 * MIB + 5);
    const id = await createImage(bytes);
    const miss = await fetchFile(a.url, id);
    expect(miss.status).toBe(200);
    expect(miss.cut).toBe(false);
    expect(miss.body.equals(bytes)).toBe(true);
    expect(miss.headers.get('content-md5')).toBe(md5(bytes));
    expect(miss.headers.get('content-length')).toBe(String(bytes.length));
    expect(miss.headers.get('x-openstack-request-id')).toMatch(/^req-/);
    const fromApi = await fetch(`${glimpse.url}/v2/images/${id}/file`, { headers: identityHeaders(ADMIN) });
    expect(fromApi.headers.get('content-md5')).toBe(miss.headers.get('content-md5'));
    expect(fromApi.headers.get('content-type')).toBe(miss.headers.get('content-type'));
    await fromApi.arrayBuffer();

    await eventually(() => cachedOn('node-a'), (ids) => ids.includes(id));
    expect(readFileSync(join(cacheDir('node-a'), id)).equals(bytes)).toBe(true);
    expect(await cachedOn('node-b')).not.toContain(id);

    const before = await stats(a);
    const hit = await fetchFile(a.url, id);
    expect(hit.body.equals(bytes)).toBe(true);
    const after = await stats(a);
    expect(after['hits']).toBe(before['hits'] + 1);
    expect(after['origin_reads']).toBe(before['origin_reads']);
    const listed = (await admin().get('/v2/cache?node=node-a')).json().cached_images.find((image: { image_id: string }) => image.image_id === id);
    expect(listed).toMatchObject({ image_id: id, size: bytes.length, hits: 1, node: 'node-a' });
    const nodes = await admin().get(`/v2/cache/nodes/${id}`);
    expect(nodes.json()).toEqual([a.url]);

    for (const agent of [a, b]) {
      const head = await fetch(`${agent.url}/v2/images/${id}/file`, { method: 'HEAD', headers: identityHeaders(ADMIN) });
      expect(head.status).toBe(200);
      expect(head.headers.get('content-length')).toBe(String(bytes.length));
      expect(head.headers.get('content-md5')).toBe(md5(bytes));
    }
    expect(await cachedOn('node-b')).not.toContain(id);
  });

  it('answers a Range from its disk on a hit, and from the origin on a miss while it still fills', async () => {
    const bytes = randomBytes(3 * MIB);
    const id = await createImage(bytes);
    const ranged = await fetch(`${b.url}/v2/images/${id}/file`, { headers: { ...identityHeaders(ADMIN), Range: 'bytes=1000-2999' } });
    expect(ranged.status).toBe(206);
    expect(ranged.headers.get('content-range')).toBe(`bytes 1000-2999/${bytes.length}`);
    expect(Buffer.from(await ranged.arrayBuffer()).equals(bytes.subarray(1000, 3000))).toBe(true);
    await eventually(() => cachedOn('node-b'), (ids) => ids.includes(id));

    const reads = (await stats(b))['origin_reads'];
    const fromDisk = await fetch(`${b.url}/v2/images/${id}/file`, { headers: { ...identityHeaders(ADMIN), Range: `bytes=-100` } });
    expect(fromDisk.status).toBe(206);
    expect(Buffer.from(await fromDisk.arrayBuffer()).equals(bytes.subarray(bytes.length - 100))).toBe(true);
    expect((await stats(b))['origin_reads']).toBe(reads);
    const unsatisfiable = await fetch(`${b.url}/v2/images/${id}/file`, { headers: { ...identityHeaders(ADMIN), Range: `bytes=${bytes.length}-` } });
    expect(unsatisfiable.status).toBe(416);
  });

  it('reads the origin once for eight concurrent cold requests', async () => {
    const bytes = randomBytes(16 * MIB + 3);
    const id = await createImage(bytes);
    const reads = (await stats(a))['origin_reads'];
    const all = await Promise.all(Array.from({ length: 8 }, () => fetchFile(a.url, id)));
    for (const got of all) {
      expect(got.status).toBe(200);
      expect(got.body.equals(bytes)).toBe(true);
    }
    expect((await stats(a))['origin_reads']).toBe(reads + 1);
  });

  it('checks who is calling before serving, a hit included', async () => {
    const bytes = randomBytes(MIB);
    const id = await createImage(bytes, ALICE);
    expect((await fetchFile(a.url, id, identityHeaders(ALICE))).body.equals(bytes)).toBe(true);
    await eventually(() => cachedOn('node-a'), (ids) => ids.includes(id));
    expect((await fetchFile(a.url, id, identityHeaders(BOB))).status).toBe(404);
    expect((await fetchFile(a.url, id, {})).status).toBe(401);
    expect((await admin().post(`/v2/images/${id}/actions/deactivate`)).status).toBe(204);
    expect((await fetchFile(a.url, id, identityHeaders(ALICE))).status).toBe(403);
    // Deactivation reached the agents: the file is gone from disk within seconds.
    await eventually(async () => existsSync(join(cacheDir('node-a'), id)), (present) => !present, 10000);
  });

  it('prefetches to one node and to all over the durable queue', async () => {
    const one = await createImage(randomBytes(2 * MIB));
    expect((await admin().put(`/v2/cache/${one}?node=node-b`)).status).toBe(202);
    await eventually(() => cachedOn('node-b'), (ids) => ids.includes(one));
    expect(await cachedOn('node-a')).not.toContain(one);

    const all = await createImage(randomBytes(2 * MIB));
    expect((await admin().put(`/v2/cache/${all}`)).status).toBe(202);
    for (const node of ['node-a', 'node-b', 'default']) await eventually(() => cachedOn(node), (ids) => ids.includes(all));
    const holders = (await admin().get(`/v2/cache/nodes/${all}`)).json() as string[];
    expect(holders).toEqual(expect.arrayContaining([a.url, b.url]));

    const queued = await admin().post('/v2/images', { disk_format: 'raw', container_format: 'bare' });
    expect((await admin().put(`/v2/cache/${queued.json().id}`)).status).toBe(400);
    expect((await admin().put('/v2/cache/00000000-0000-0000-0000-000000000000')).status).toBe(404);
    const alices = await createImage(randomBytes(1024), ALICE);
    expect((await api(glimpse.url, ALICE).put(`/v2/cache/${alices}`)).status).toBe(403);
    expect((await api(glimpse.url, ALICE).get('/v2/cache')).status).toBe(403);
  });

  it('evicts on delete, clears the cache and the queue, and refuses an unknown clear target', async () => {
    const id = await createImage(randomBytes(MIB));
    expect((await admin().put(`/v2/cache/${id}`)).status).toBe(202);
    await eventually(() => cachedOn('node-a'), (ids) => ids.includes(id));
    expect((await admin().del(`/v2/cache/${id}`)).status).toBe(204);
    expect(await cachedOn('node-a')).not.toContain(id);
    expect((await admin().del('/v2/cache/00000000-0000-0000-0000-000000000000')).status).toBe(404);

    expect((await admin().del('/v2/cache', { 'x-image-cache-clear-target': 'both' })).status).toBe(400);
    expect((await admin().del('/v2/cache', { 'x-image-cache-clear-target': 'cache' })).status).toBe(204);
    expect(await cachedOn('node-a')).toEqual([]);

    const deleted = await createImage(randomBytes(MIB));
    await fetchFile(b.url, deleted);
    await eventually(() => cachedOn('node-b'), (ids) => ids.includes(deleted));
    expect((await admin().del(`/v2/images/${deleted}`)).status).toBe(204);
    await eventually(() => cachedOn('node-b'), (ids) => !ids.includes(deleted), 10000);
    expect(existsSync(join(cacheDir('node-b'), deleted))).toBe(false);
    expect((await fetchFile(b.url, deleted)).status).toBe(404);
  });

  it('never serves a file changed on disk, and cuts a fill whose bytes do not match os_hash_value', async () => {
    const bytes = randomBytes(4 * MIB);
    const id = await createImage(bytes);
    await fetchFile(b.url, id);
    await eventually(() => cachedOn('node-b'), (ids) => ids.includes(id));
    // Same size, same mtime: only the background re-hash (every second on node-b) can tell.
    const file = join(cacheDir('node-b'), id);
    const corrupt = Buffer.from(bytes);
    corrupt[12345] ^= 0xff;
    const { mtime, atime } = statSync(file);
    writeFileSync(file, corrupt);
    utimesSync(file, atime, mtime);
    await eventually(() => cachedOn('node-b'), (ids) => !ids.includes(id), 15000);
    const served = await fetchFile(b.url, id);
    expect(served.body.equals(bytes)).toBe(true);

    // A changed size or mtime is caught on the hit itself.
    await eventually(() => cachedOn('node-b'), (ids) => ids.includes(id));
    writeFileSync(file, corrupt);
    const again = await fetchFile(b.url, id);
    expect(again.body.equals(bytes)).toBe(true);

    // The store's copy itself is corrupt: the fill fails verification, nobody gets a whole body.
    const bad = randomBytes(4 * MIB);
    const badId = await createImage(bad);
    const stored = join(glimpse.dataDir, 'images', badId);
    const tampered = Buffer.from(bad);
    tampered[bad.length - 10] ^= 0xff;
    writeFileSync(stored, tampered);
    const cut = await fetchFile(a.url, badId);
    expect(cut.cut || cut.body.length < bad.length).toBe(true);
    expect(cut.body.length).toBeLessThan(bad.length);
    await eventually(async () => readdirSync(join(cacheDir('node-a'), 'invalid')), (names) => names.includes(badId));
    expect(await cachedOn('node-a')).not.toContain(badId);
  });

  it('prunes the least recently used beyond image_cache_max_size, and cleans invalid and stalled files', async () => {
    const small = await startApp(glimpse, 'cache-agent', 'GLIMPSE_CACHE_AGENT_PORT', agentEnv('node-small', { GLIMPSE_IMAGE_CACHE_MAX_SIZE: String(5 * MIB), GLIMPSE_IMAGE_CACHE_STALL_TIME: '3600' }));
    try {
      const ids: string[] = [];
      for (let i = 0; i < 3; i++) ids.push(await createImage(randomBytes(2 * MIB)));
      for (const id of ids) {
        await fetchFile(small.url, id);
        await eventually(() => cachedOn('node-small'), (cached) => cached.includes(id));
      }
      // The first becomes the most recently used; the second is now the least.
      await fetchFile(small.url, ids[0]);
      const pruned = await admin().post('/v2/cache/prune?node=node-small');
      expect(pruned.status).toBe(200);
      expect(pruned.json()).toEqual({ total_files_pruned: 1, total_bytes_pruned: 2 * MIB });
      expect((await cachedOn('node-small')).sort()).toEqual([ids[0], ids[2]].sort());

      const dir = cacheDir('node-small');
      writeFileSync(join(dir, 'invalid', 'leftover'), 'x');
      writeFileSync(join(dir, 'incomplete', 'stalled'), 'x');
      writeFileSync(join(dir, 'incomplete', 'fresh'), 'x');
      const old = new Date(Date.now() - 7200 * 1000);
      utimesSync(join(dir, 'incomplete', 'stalled'), old, old);
      expect((await admin().post('/v2/cache/clean?node=node-small')).status).toBe(200);
      expect(readdirSync(join(dir, 'invalid'))).toEqual([]);
      expect(readdirSync(join(dir, 'incomplete'))).toEqual(['fresh']);
    } finally {
      await small.stop();
    }
  });

  it('keeps its index in user extended attributes with image_cache_driver = xattr', async () => {
    const agent = await startApp(glimpse, 'cache-agent', 'GLIMPSE_CACHE_AGENT_PORT', agentEnv('node-x', { GLIMPSE_IMAGE_CACHE_DRIVER: 'xattr' }));
    try {
      const bytes = randomBytes(2 * MIB);
      const id = await createImage(bytes);
      expect((await fetchFile(agent.url, id)).body.equals(bytes)).toBe(true);
      await eventually(() => cachedOn('node-x'), (ids) => ids.includes(id));
      expect((await fetchFile(agent.url, id)).body.equals(bytes)).toBe(true);
      // fs-xattr is an ES module, which Jest cannot load: read the attribute in a plain node.
      const read = `process.stdout.write(require('fs-xattr').getAttributeSync(${JSON.stringify(join(cacheDir('node-x'), id))}, 'user.glimpse.cache'))`;
      const entry = JSON.parse(execFileSync(process.execPath, ['-e', read]).toString());
      expect(entry).toMatchObject({ imageId: id, size: bytes.length, hits: 1, hashValue: sha512(bytes) });
      expect(existsSync(join(cacheDir('node-x'), 'cache.db'))).toBe(false);
      expect((await admin().del(`/v2/cache/${id}?node=node-x`)).status).toBe(204);
      expect(existsSync(join(cacheDir('node-x'), id))).toBe(false);
    } finally {
      await agent.stop();
    }
  });

  it('runs the operator CLI over the bus: prefetch with its exit status, list-cached as a table, delete and prune', async () => {
    const cli = (...args: string[]) =>
      runProcess(process.execPath, ['dist/apps/pruner/cache.js', ...args], { env: { PATH: process.env['PATH'] ?? '', OTEL_SDK_DISABLED: 'true', ...glimpse.env }, timeoutMs: 30000 });
    const id = await createImage(randomBytes(MIB));
    const prefetched = await cli('prefetch', '--node', 'node-a', id);
    expect(prefetched.stdout).toContain('prefetch complete');
    expect(prefetched.code).toBe(0);
    // not a terminal: the bar prints a line as it passes each quarter, and always its last one
    expect(prefetched.stderr).toContain(`node-a ${id} [########################] 100%  1.0 of 1.0 MiB`);
    expect(await cachedOn('node-a')).toContain(id);
    const listed = await cli('list-cached', '--node', 'node-a');
    expect(listed.code).toBe(0);
    expect(listed.stdout).toMatch(new RegExp(`\\| node-a +\\| ${id} +\\|`));
    expect((await cli('delete-cached-image', '--node', 'node-a', id)).code).toBe(0);
    expect(await cachedOn('node-a')).not.toContain(id);
    expect((await cli('delete-cached-image', '--node', 'node-a', id)).code).toBe(1);
    const pruned = await cli('prune');
    expect(pruned.code).toBe(0);
    expect(pruned.stdout).toContain('node-b: pruned 0 file(s)');
    expect((await cli('no-such-command')).code).toBe(2);
  }, 60000);

  /** An image whose only location is `url` (an http store), with the digests the agent checks. */
  async function locatedAt(url: string, bytes: Buffer): Promise<string> {
    const created = await admin().post('/v2/images', { disk_format: 'raw', container_format: 'bare' });
    const id = created.json().id as string;
    const patched = await admin().patch(`/v2/images/${id}`, [
      { op: 'add', path: '/locations/-', value: { url, metadata: {}, validation_data: { checksum: md5(bytes), os_hash_algo: 'sha512', os_hash_value: sha512(bytes) } } },
    ]);
    expect(patched.status).toBe(200);
    return id;
  }

  it('keeps queued prefetch jobs across a NATS restart', async () => {
    const bytes = randomBytes(2 * MIB);
    const origin = drippingOrigin(bytes);
    await new Promise<void>((resolve) => origin.server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(origin.server.address() as { port: number }).port}/image.raw`;
    try {
      const first = await locatedAt(url, bytes);
      const second = await locatedAt(url, bytes);
      expect((await admin().put(`/v2/cache/${first}?node=node-b`)).status).toBe(202);
      await eventually(async () => existsSync(join(cacheDir('node-b'), 'incomplete', first)), Boolean);
      expect((await admin().put(`/v2/cache/${second}?node=node-b`)).status).toBe(202);
      await restartNats();
      // The apps reconnect on their own; until then the API answers 503.
      await eventually(async () => (await admin().get('/v2/cache?node=node-b')).status, (status) => status === 200, 40000);
      origin.release();
      for (const id of [first, second]) await eventually(() => cachedOn('node-b'), (ids) => ids.includes(id), 40000);
      expect((await fetchFile(b.url, second)).body.equals(bytes)).toBe(true);
    } finally {
      origin.release();
      await origin.close();
    }
  }, 90000);

  it('serves nothing partial after an agent is killed mid-fill, and keeps its queued jobs across the restart', async () => {
    const bytes = randomBytes(6 * MIB);
    const origin = drippingOrigin(bytes);
    await new Promise<void>((resolve) => origin.server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(origin.server.address() as { port: number }).port}/image.raw`;
    const env = agentEnv('node-crash');
    mkdirSync(env.GLIMPSE_IMAGE_CACHE_DIR, { recursive: true });
    let agent = await startApp(glimpse, 'cache-agent', 'GLIMPSE_CACHE_AGENT_PORT', env);
    try {
      const first = await locatedAt(url, bytes);
      const second = await locatedAt(url, bytes);
      // Concurrency 1: the first job hangs on the dripping origin, the second waits in the queue.
      expect((await admin().put(`/v2/cache/${first}?node=node-crash`)).status).toBe(202);
      await eventually(async () => existsSync(join(env.GLIMPSE_IMAGE_CACHE_DIR, 'incomplete', first)), Boolean);
      expect((await admin().put(`/v2/cache/${second}?node=node-crash`)).status).toBe(202);
      const queued = (await admin().get('/v2/cache?node=node-crash')).json().queued_images as string[];
      expect(queued).toEqual(expect.arrayContaining([second]));

      await agent.crash();
      agent = await startApp(glimpse, 'cache-agent', 'GLIMPSE_CACHE_AGENT_PORT', env);
      expect(await cachedOn('node-crash')).toEqual([]);
      expect(existsSync(join(env.GLIMPSE_IMAGE_CACHE_DIR, first))).toBe(false);
      origin.release();
      for (const id of [first, second]) await eventually(() => cachedOn('node-crash'), (ids) => ids.includes(id), 30000);
      for (const id of [first, second]) expect((await fetchFile(agent.url, id)).body.equals(bytes)).toBe(true);
    } finally {
      await agent.stop();
      await origin.close();
    }
  }, 60000);
});
