import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { type RunningGlimpse, startGlimpse } from '../support/glimpse';
import { ALICE, api, upload } from '../support/http';

const ROOT = join(__dirname, '../..');

interface Watcher {
  lines(): string[];
  /** Resolves with the output lines once `done` holds for them (checked on every chunk). */
  until(done: (lines: string[]) => boolean, timeoutMs?: number): Promise<string[]>;
  /** SIGTERM; resolves with the exit code. */
  stop(): Promise<number | null>;
}

/** `node bin/glimpse-watch.js …args` with the cluster's environment, once it is subscribed. */
async function watch(glimpse: RunningGlimpse, ...args: string[]): Promise<Watcher> {
  const child = spawn(process.execPath, ['bin/glimpse-watch.js', ...args], {
    cwd: ROOT,
    env: { PATH: process.env['PATH'] ?? '', ...glimpse.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  const lines = () => stdout.split('\n').filter(Boolean);
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const until = (stream: NodeJS.ReadableStream, done: () => boolean, what: string, timeoutMs: number) =>
    new Promise<void>((resolve, reject) => {
      const settle = (error: string | null) => {
        clearTimeout(timer);
        stream.off('data', check);
        if (error) reject(new Error(`glimpse-watch ${args.join(' ')}: ${error}\nstdout:\n${stdout}\nstderr:\n${stderr}`));
        else resolve();
      };
      const check = () => done() && settle(null);
      const timer = setTimeout(() => settle(`no ${what} after ${timeoutMs} ms`), timeoutMs);
      stream.on('data', check);
      void exited.then((code) => setImmediate(() => (done() ? settle(null) : settle(`exited (${code}) before the ${what}`))));
      check();
    });
  await until(child.stderr, () => stderr.includes('glimpse-watch: watching '), 'subscription', 15000);
  return {
    lines,
    until: async (done, timeoutMs = 15000) => {
      await until(child.stdout, () => done(lines()), 'expected lines', timeoutMs);
      return lines();
    },
    stop: () => {
      child.kill('SIGTERM');
      return exited;
    },
  };
}

describe('glimpse watch against a cluster on the real NATS', () => {
  let glimpse: RunningGlimpse;
  beforeAll(async () => {
    glimpse = await startGlimpse('cluster', { GLIMPSE_AUTH_STRATEGY: 'trusted' });
  }, 60000);
  afterAll(async () => glimpse?.stop());

  it('prints the events of an upload live, one readable line each, and the requests only when asked', async () => {
    const watchers = await Promise.all([
      watch(glimpse),
      watch(glimpse, '--json', 'glimpse.events.image.>'),
      watch(glimpse, '--requests', 'glimpse.registry.>'),
    ]);
    const [lines, json, requests] = watchers;
    try {
      const client = api(glimpse.url, ALICE);
      const created = await client.post('/v2/images', { name: 'watched', disk_format: 'raw', container_format: 'bare' });
      expect(created.status).toBe(201);
      const id = created.json().id as string;
      expect((await upload(glimpse.url, id, randomBytes(3 * 1024 * 1024), ALICE)).status).toBe(204);

      const time = String.raw`\d\d:\d\d:\d\d`;
      const createdLine = new RegExp(`^${time} image\\.created ${id} owner=project-a status=queued$`);
      const activatedLine = new RegExp(`^${time} image\\.activated ${id} owner=project-a status=active size=3\\.0 MiB$`);
      const seen = await lines.until((out) => out.some((l) => activatedLine.test(l)));
      const createdAt = seen.findIndex((l) => createdLine.test(l));
      expect(createdAt).toBeGreaterThanOrEqual(0);
      expect(seen.findIndex((l) => activatedLine.test(l))).toBeGreaterThan(createdAt);
      // The API asked the registry all along, but requests are left out unless --requests.
      expect(seen.filter((l) => l.includes('→ request'))).toEqual([]);

      const events = (await json.until((out) => out.length >= 2)).map((l) => JSON.parse(l));
      expect(events.slice(0, 2)).toEqual([
        expect.objectContaining({
          subject: `${glimpse.namespace}.events.image.created.v1`,
          name: 'image.created',
          body: { imageId: id, owner: 'project-a', status: 'queued', size: null, at: expect.any(String) },
        }),
        expect.objectContaining({
          subject: `${glimpse.namespace}.events.image.activated.v1`,
          name: 'image.activated',
          body: { imageId: id, owner: 'project-a', status: 'active', size: 3 * 1024 * 1024, at: expect.any(String) },
        }),
      ]);

      const asked = await requests.until((out) => out.some((l) => / → request registry\.image\.create /.test(l)));
      expect(asked.every((l) => l.includes('→ request') || l.includes('registry.cache.node.seen'))).toBe(true);
    } finally {
      const codes = await Promise.all(watchers.map((w) => w.stop()));
      expect(codes).toEqual([0, 0, 0]);
    }
  }, 60000);
});
