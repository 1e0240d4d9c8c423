import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { JetStreamWorkQueue } from '@glimpse/bus';
import { type ScrubClaim, type ScrubJob, type ScrubStatus, ScrubSubjects } from '@glimpse/contracts';
import { createConnection } from 'mysql2/promise';
import { type NatsConnection, type Subscription, connect } from 'nats';
import { type RunningGlimpse, freePort, startGlimpse } from '../support/glimpse';
import { api, download, upload } from '../support/http';

/**
 * Delayed delete over the durable scrub queue, on the real MariaDB and NATS (JetStream): the
 * registry queues a job at delete time, the scrubber daemons consume it, and the registry scan
 * is the safety net. Every scrubbed image is checked against its due time and counted: an image
 * scrubbed twice would publish two `scrubbed` events.
 */
const ROOT = join(__dirname, '../..');
const NATS_URL = 'nats://127.0.0.1:4222';

interface ScrubEventSeen {
  kind: string;
  imageId: string;
  at: number;
  error?: string;
}

class EventLog {
  readonly seen: ScrubEventSeen[] = [];
  private constructor(
    private readonly nc: NatsConnection,
    private readonly sub: Subscription,
  ) {}

  static async watch(namespace: string): Promise<EventLog> {
    const nc = await connect({ servers: NATS_URL });
    const sub = nc.subscribe(`${namespace}.scrub.image.*.v1`);
    const log = new EventLog(nc, sub);
    void (async () => {
      for await (const msg of sub) {
        const body = msg.json<{ data: { imageId: string; at: string; error?: string } }>();
        log.seen.push({ kind: msg.subject.split('.')[3], imageId: body.data.imageId, at: Date.parse(body.data.at), error: body.data.error });
      }
    })();
    await nc.flush();
    return log;
  }

  of(kind: string, imageId?: string): ScrubEventSeen[] {
    return this.seen.filter((e) => e.kind === kind && (imageId === undefined || e.imageId === imageId));
  }

  async close(): Promise<void> {
    this.sub.unsubscribe();
    await this.nc.close();
  }
}

async function eventually(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 20000, everyMs = 100): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

async function activeImage(glimpse: RunningGlimpse, data: Buffer): Promise<string> {
  const client = api(glimpse.url);
  const image = (await client.post('/v2/images', { name: 'doomed', disk_format: 'raw', container_format: 'bare', colour: 'green', tags: ['keep'] })).json();
  expect((await upload(glimpse.url, image.id, data, null)).status).toBe(204);
  return image.id as string;
}

async function deleteImage(glimpse: RunningGlimpse, id: string): Promise<number> {
  const at = Date.now();
  expect((await api(glimpse.url).del(`/v2/images/${id}`)).status).toBe(204);
  return at;
}

const storeFile = (glimpse: RunningGlimpse, id: string) => join(glimpse.dataDir, 'images', id);

async function status(url: string): Promise<ScrubStatus> {
  const res = await fetch(`${url}/status`);
  expect(res.status).toBe(200);
  return (await res.json()) as ScrubStatus;
}

/** The rows as the registry left them: image status and the status of each of its locations. */
async function rows(glimpse: RunningGlimpse, ids: string[]): Promise<Map<string, { image: string; locations: string[] }>> {
  const db = await createConnection({ host: '127.0.0.1', port: 3306, user: 'root', password: '', database: glimpse.database! });
  try {
    const [images] = await db.query('SELECT id, status FROM images WHERE id IN (?)', [ids]);
    const [locations] = await db.query('SELECT image_id, status FROM image_locations WHERE image_id IN (?) ORDER BY id', [ids]);
    const out = new Map<string, { image: string; locations: string[] }>();
    for (const row of images as { id: string; status: string }[]) out.set(row.id, { image: row.status, locations: [] });
    for (const row of locations as { image_id: string; status: string }[]) out.get(row.image_id)?.locations.push(row.status);
    return out;
  } finally {
    await db.end();
  }
}

function scrubQueue(glimpse: RunningGlimpse) {
  return JetStreamWorkQueue.connect<ScrubJob>({ natsUrl: NATS_URL, namespace: glimpse.namespace!, name: 'int-spec' });
}

/** One more scrubber daemon for a cluster, as its own process. */
class ExtraScrubber {
  private readonly output: string[] = [];
  private child!: ChildProcess;
  url = '';

  async start(glimpse: RunningGlimpse, env: Record<string, string>, nodeArgs: string[] = []): Promise<this> {
    const port = await freePort();
    this.url = `http://127.0.0.1:${port}`;
    this.child = spawn(process.execPath, [...nodeArgs, 'dist/apps/scrubber/main.js'], {
      cwd: ROOT,
      env: {
        PATH: process.env['PATH'] ?? '',
        OTEL_SDK_DISABLED: 'true',
        GLIMPSE_TRANSPORT: 'nats',
        GLIMPSE_BUS_NAMESPACE: glimpse.namespace!,
        GLIMPSE_DATA_DIR: glimpse.dataDir,
        GLIMPSE_SCRUBBER_HEALTH_PORT: String(port),
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child.stdout?.on('data', (c: Buffer) => this.output.push(c.toString()));
    this.child.stderr?.on('data', (c: Buffer) => this.output.push(c.toString()));
    await eventually(
      async () => {
        if (this.child.exitCode !== null) throw new Error(`the scrubber exited during start:\n${this.logs()}`);
        return fetch(`${this.url}/healthcheck`).then((r) => r.status === 200, () => false);
      },
      'an extra scrubber answering',
    );
    return this;
  }

  logs(): string {
    return this.output.join('');
  }

  stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    if (!this.child || this.child.exitCode !== null || this.child.signalCode !== null) return Promise.resolve();
    return new Promise((resolve) => {
      this.child.once('exit', () => resolve());
      this.child.kill(signal);
    });
  }
}

function killPid(pid: number): void {
  process.kill(pid, 'SIGKILL');
}

describe('scrub queue: jobs, retries, restore (cluster, a daemon that only consumes its queue)', () => {
  let glimpse: RunningGlimpse;
  let events: EventLog;
  // Long enough for the restore CLI to start before the image is due.
  const SCRUB_TIME_S = 4;
  const cli = (...args: string[]) =>
    spawnSync(process.execPath, ['dist/apps/scrubber/scrub.js', ...args], {
      cwd: ROOT,
      env: {
        PATH: process.env['PATH'] ?? '',
        OTEL_SDK_DISABLED: 'true',
        GLIMPSE_BUS_NAMESPACE: glimpse.namespace!,
        GLIMPSE_DATA_DIR: glimpse.dataDir,
      },
      encoding: 'utf8',
      timeout: 30000,
    });

  beforeAll(async () => {
    // The scan runs once at start and then sleeps for an hour: only queued jobs get scrubbed.
    glimpse = await startGlimpse('cluster', {
      GLIMPSE_DELAYED_DELETE: 'true',
      GLIMPSE_SCRUB_TIME: String(SCRUB_TIME_S),
      GLIMPSE_WAKEUP_TIME: '3600',
      GLIMPSE_SCRUB_CLAIM_TIMEOUT: '2',
    });
    events = await EventLog.watch(glimpse.namespace!);
  }, 60000);
  afterAll(async () => {
    await events?.close();
    await glimpse?.stop();
  }, 30000);

  it('queues a job at delete time, shows it as backlog, and scrubs it once scrub_time has passed', async () => {
    const id = await activeImage(glimpse, randomBytes(4096));
    const deletedAt = await deleteImage(glimpse, id);
    await eventually(() => events.of('queued', id).length === 1, 'the queued event');
    const backlog = await status(glimpse.healthUrls.scrubber);
    expect(backlog.pending).toBeGreaterThanOrEqual(1);
    const fromCli = cli('status');
    expect(fromCli.status).toBe(0);
    expect(JSON.parse(fromCli.stdout)).toMatchObject({ pending: expect.any(Number), failures: expect.any(Array) });

    await eventually(() => events.of('scrubbed', id).length === 1, 'the scrubbed event');
    expect(events.of('scrubbed', id)[0].at - deletedAt).toBeGreaterThanOrEqual(SCRUB_TIME_S * 1000);
    expect(existsSync(storeFile(glimpse, id))).toBe(false);
    expect((await rows(glimpse, [id])).get(id)).toEqual({ image: 'deleted', locations: ['deleted'] });
    await eventually(async () => (await status(glimpse.healthUrls.scrubber)).pending === 0, 'an empty backlog');
  }, 30000);

  it('retries a store that fails twice, with backoff, then finishes', async () => {
    const id = await activeImage(glimpse, randomBytes(2048));
    const file = storeFile(glimpse, id);
    // The data file becomes a non-empty directory: unlink fails (EISDIR) until it is a file again.
    rmSync(file);
    mkdirSync(file);
    writeFileSync(join(file, 'blocker'), 'x');
    await deleteImage(glimpse, id);

    await eventually(() => events.of('failed', id).length >= 2, 'two failed attempts', 30000);
    const failures = events.of('failed', id);
    expect(failures[1].at - failures[0].at).toBeGreaterThanOrEqual(900); // the first backoff is 1 s
    rmSync(file, { recursive: true });
    writeFileSync(file, randomBytes(2048));

    await eventually(() => events.of('scrubbed', id).length === 1, 'the scrubbed event after the retries', 30000);
    expect(events.of('failed', id)).toHaveLength(2);
    expect(existsSync(file)).toBe(false);
    const seen = await status(glimpse.healthUrls.scrubber);
    const mine = seen.failures.filter((f) => f.imageId === id);
    expect(mine.map((f) => f.final)).toEqual([false, false]);
    expect(mine.every((f) => f.attempt >= 1 && f.attempt < 5)).toBe(true);
    expect(seen.failures.find((f) => f.imageId === id)?.error).toMatch(/EISDIR|directory|denied|EPERM/i);
  }, 60000);

  it('restore cancels the queued job and brings the image back byte-identical', async () => {
    const data = randomBytes(16384);
    const id = await activeImage(glimpse, data);
    await deleteImage(glimpse, id);
    const queue = await scrubQueue(glimpse);
    try {
      await eventually(async () => (await queue.pending('scrub')).some((j) => j.key === id), 'the job in the queue');
      const restored = cli('restore', id);
      expect(restored.stderr).toBe('');
      expect(restored.status).toBe(0);
      expect((await queue.pending('scrub')).map((j) => j.key)).not.toContain(id);
    } finally {
      await queue.close();
    }
    await new Promise((r) => setTimeout(r, SCRUB_TIME_S * 1000 + 1000));
    expect(events.of('scrubbed', id)).toEqual([]);
    const image = (await api(glimpse.url).get(`/v2/images/${id}`)).json();
    expect(image).toMatchObject({ status: 'active', colour: 'green', tags: ['keep'], size: data.length });
    expect((await download(glimpse.url, id, null)).body.equals(data)).toBe(true);
  }, 30000);

  it('refuses to restore an image a scrubber has claimed, and restores it once the claim is handed back', async () => {
    const id = await activeImage(glimpse, randomBytes(1024));
    await deleteImage(glimpse, id);
    const queue = await scrubQueue(glimpse);
    try {
      // No job: only this test claims the image.
      expect(await queue.cancel('scrub', id)).toBe(true);
    } finally {
      await queue.close();
    }
    const ns = glimpse.namespace as string;
    const claim = await registryRequest<ScrubClaim>(ns, ScrubSubjects.claim, { imageId: id, scrubTimeSeconds: 0, claimTimeoutMs: 60000 });
    expect(claim).toMatchObject({ outcome: 'claimed', locations: [{ url: expect.stringContaining(id) }] });
    const rival = await registryRequest<ScrubClaim>(ns, ScrubSubjects.claim, { imageId: id, scrubTimeSeconds: 0, claimTimeoutMs: 60000 });
    expect(rival.outcome).toBe('busy');

    const refused = cli('restore', id);
    expect(refused.status).toBe(1);
    expect(refused.stderr).toContain(`Image ${id} cannot be restored: the scrubber is deleting its data.`);
    expect((await rows(glimpse, [id])).get(id)).toEqual({ image: 'pending_delete', locations: ['scrubbing'] });

    const ids = claim.outcome === 'claimed' ? claim.locations.map((l) => l.id) : [];
    await registryRequest(ns, ScrubSubjects.done, { imageId: id, locationIds: [], releasedIds: ids });
    const restored = cli('restore', id);
    expect(restored.stderr).toBe('');
    expect((await rows(glimpse, [id])).get(id)).toEqual({ image: 'active', locations: ['active'] });
  }, 30000);
});

/** One request to the registry, as the scrubber makes it (Nest's NATS wire format). */
async function registryRequest<R>(namespace: string, subject: string, data: unknown): Promise<R> {
  const nc = await connect({ servers: NATS_URL });
  try {
    const reply = await nc.request(subject.replace(/^glimpse\./, `${namespace}.`), JSON.stringify({ id: '1', data }), { timeout: 10000 });
    const body = reply.json<{ response?: R; err?: unknown }>();
    if (body.err) throw new Error(JSON.stringify(body.err));
    return body.response as R;
  } finally {
    await nc.close();
  }
}

describe('scrub queue: the scan as a safety net, crashes and rival scrubbers (cluster)', () => {
  let glimpse: RunningGlimpse;
  let events: EventLog;
  const SCRUB_TIME_S = 1;
  const scrubberEnv = {
    GLIMPSE_DELAYED_DELETE: 'true',
    GLIMPSE_SCRUB_TIME: String(SCRUB_TIME_S),
    GLIMPSE_WAKEUP_TIME: '0.5',
    GLIMPSE_SCRUB_CLAIM_TIMEOUT: '2',
  };
  const extras: ExtraScrubber[] = [];

  beforeAll(async () => {
    glimpse = await startGlimpse('cluster', scrubberEnv);
    events = await EventLog.watch(glimpse.namespace!);
  }, 60000);
  afterEach(async () => {
    await Promise.all(extras.splice(0).map((s) => s.stop()));
  });
  afterAll(async () => {
    await events?.close();
    await glimpse?.stop();
  }, 30000);

  /** Each image scrubbed exactly once, never before its due time, its rows all deleted, its file gone. */
  async function expectScrubbedOnce(deleted: Map<string, number>): Promise<void> {
    const ids = [...deleted.keys()];
    await eventually(() => ids.every((id) => events.of('scrubbed', id).length > 0), `all ${ids.length} images scrubbed`, 40000);
    await new Promise((r) => setTimeout(r, 1500)); // room for a second, wrong, scrub to show
    for (const [id, at] of deleted) {
      const scrubbed = events.of('scrubbed', id);
      expect({ id, times: scrubbed.length }).toEqual({ id, times: 1 });
      expect(scrubbed[0].at - at).toBeGreaterThanOrEqual(SCRUB_TIME_S * 1000);
      expect(existsSync(storeFile(glimpse, id))).toBe(false);
    }
    const state = await rows(glimpse, ids);
    for (const id of ids) expect({ id, ...state.get(id) }).toEqual({ id, image: 'deleted', locations: ['deleted'] });
  }

  it('scrubs an image whose job was dropped on purpose, from the registry scan', async () => {
    const id = await activeImage(glimpse, randomBytes(1024));
    const deletedAt = await deleteImage(glimpse, id);
    const queue = await scrubQueue(glimpse);
    try {
      expect(await queue.cancel('scrub', id)).toBe(true);
      expect((await queue.pending('scrub')).map((j) => j.key)).not.toContain(id);
    } finally {
      await queue.close();
    }
    await expectScrubbedOnce(new Map([[id, deletedAt]]));
  }, 60000);

  it('a scrubber killed with kill -9 mid-pass: another finishes the work, nothing deleted early', async () => {
    const victim = await new ExtraScrubber().start(glimpse, { ...scrubberEnv, GLIMPSE_SCRUB_POOL_SIZE: '1' });
    extras.push(victim);
    // The cluster's own scrubber stops first, so the victim holds the work when it dies.
    killPid((await status(glimpse.healthUrls.scrubber)).pid);
    const deleted = new Map<string, number>();
    for (let i = 0; i < 12; i++) {
      const id = await activeImage(glimpse, randomBytes(1024));
      deleted.set(id, await deleteImage(glimpse, id));
    }
    const late = await activeImage(glimpse, randomBytes(1024)); // deleted later: it must stay longer
    await eventually(() => events.of('scrubbed').some((e) => deleted.has(e.imageId)), 'the victim scrubbing', 20000);
    await victim.stop('SIGKILL');
    const lateAt = await deleteImage(glimpse, late);
    deleted.set(late, lateAt);
    expect(existsSync(storeFile(glimpse, late))).toBe(true);

    const successor = await new ExtraScrubber().start(glimpse, scrubberEnv);
    extras.push(successor);
    await expectScrubbedOnce(deleted);
    expect((await status(successor.url)).failures).toEqual([]);
  }, 90000);

  it('three scrubbers at once never scrub the same image twice', async () => {
    // The cluster's own scrubber joins in unless the kill -9 test stopped it.
    const own = () => status(glimpse.healthUrls.scrubber).then((s) => s.scrubbedTotal, () => 0);
    const ownBefore = await own();
    extras.push(await new ExtraScrubber().start(glimpse, { ...scrubberEnv, GLIMPSE_SCRUB_POOL_SIZE: '4' }));
    extras.push(await new ExtraScrubber().start(glimpse, { ...scrubberEnv, GLIMPSE_SCRUB_POOL_SIZE: '4' }));
    extras.push(await new ExtraScrubber().start(glimpse, { ...scrubberEnv, GLIMPSE_SCRUB_POOL_SIZE: '4' }));
    const deleted = new Map<string, number>();
    for (let i = 0; i < 30; i++) {
      const id = await activeImage(glimpse, randomBytes(512));
      deleted.set(id, await deleteImage(glimpse, id));
    }
    await expectScrubbedOnce(deleted);
    expect(events.seen.filter((e) => e.kind === 'failed' && deleted.has(e.imageId))).toEqual([]);
    const totals = await Promise.all(extras.map((s) => status(s.url)));
    expect(totals.reduce((sum, s) => sum + s.scrubbedTotal, 0) + (await own()) - ownBefore).toBe(30);
  }, 90000);
});

describe('scrubber daemon: 10,000 wakeups with a flat heap (cluster)', () => {
  let glimpse: RunningGlimpse;
  let scrubber: ExtraScrubber;
  const WAKEUPS = 10000;

  beforeAll(async () => {
    glimpse = await startGlimpse('cluster', { GLIMPSE_DELAYED_DELETE: 'true', GLIMPSE_SCRUB_TIME: '3600', GLIMPSE_WAKEUP_TIME: '3600' });
    // Its status collects garbage first (--expose-gc), so heapUsedBytes is what stays alive.
    scrubber = await new ExtraScrubber().start(
      glimpse,
      { GLIMPSE_DELAYED_DELETE: 'true', GLIMPSE_SCRUB_TIME: '3600', GLIMPSE_WAKEUP_TIME: '0.001' },
      ['--expose-gc'],
    );
  }, 60000);
  afterAll(async () => {
    await scrubber?.stop();
    await glimpse?.stop();
  }, 30000);

  it('keeps its heap flat over 10,000 passes', async () => {
    // An image pending_delete for an hour: each pass asks the registry and finds nothing due yet.
    const id = await activeImage(glimpse, randomBytes(256));
    await deleteImage(glimpse, id);
    // Each status call collects garbage: ask seldom, so as not to slow the passes down.
    await eventually(async () => (await status(scrubber.url)).wakeups >= 1000, '1,000 wakeups', 60000, 1000);
    const early = await status(scrubber.url);
    await eventually(async () => (await status(scrubber.url)).wakeups >= WAKEUPS, `${WAKEUPS} wakeups`, 150000, 2000);
    const late = await status(scrubber.url);
    expect(late.lastPass).toMatchObject({ scrubbed: 0, failed: 0 });
    // A leak of 200 bytes per pass would add 1.8 MB over these 9,000 passes.
    const growth = late.heapUsedBytes - early.heapUsedBytes;
    expect({ growth, passes: late.wakeups - early.wakeups, ok: growth < 1.5 * 1024 * 1024 }).toMatchObject({ ok: true });
    expect(readdirSync(join(glimpse.dataDir, 'images'))).toContain(id);
  }, 200000);
});
