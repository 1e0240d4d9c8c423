import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type CliResult, glanceFor, parseTables } from '../support/glance-cli';
import { type Mode, type RunningGlimpse, freePort, startGlimpse } from '../support/glimpse';

const CLI_TIMEOUT = 30000;

function ok(result: CliResult): CliResult {
  if (result.code !== 0) throw new Error(`glance exited ${result.code}\n--- stdout\n${result.stdout}\n--- stderr\n${result.stderr}`);
  return result;
}

/** The real glanceclient's cache commands: cache-queue, cache-list, cache-delete, cache-clear. */
describe.each(['embedded', 'cluster'] as Mode[])('python-glanceclient cache commands (%s)', (mode) => {
  let glimpse: RunningGlimpse;
  let dir: string;
  let cli: ReturnType<typeof glanceFor>;

  /** cache-list as {id: state} (state is cached or queued). */
  async function cacheList(): Promise<Record<string, string>> {
    const table = parseTables(ok(await cli('cache-list')).stdout)[0];
    const id = table.headers.indexOf('ID');
    const state = table.headers.indexOf('State');
    return Object.fromEntries(table.rows.map((row) => [row[id], row[state]]));
  }

  async function eventually(done: (listed: Record<string, string>) => boolean): Promise<Record<string, string>> {
    const deadline = Date.now() + 20000;
    for (;;) {
      const listed = await cacheList();
      if (done(listed)) return listed;
      if (Date.now() > deadline) throw new Error(`cache-list still shows ${JSON.stringify(listed)}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }

  async function createImage(): Promise<string> {
    const file = join(dir, `${randomBytes(4).toString('hex')}.raw`);
    writeFileSync(file, randomBytes(512 * 1024 + 7));
    const out = ok(await cli('image-create', '--name', 'cached', '--disk-format', 'raw', '--container-format', 'bare', '--file', file)).stdout;
    const row = parseTables(out)[0].rows.find((r) => r[0] === 'id');
    return row![1];
  }

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), `glimpse-e2e-cache-${mode}-`));
    glimpse = await startGlimpse(mode, {
      GLIMPSE_IMAGE_CACHE_DIR: join(dir, 'cache'),
      GLIMPSE_CACHE_NODE_NAME: 'compute-1',
      ...(mode === 'embedded' ? { GLIMPSE_CACHE_AGENT_PORT: String(await freePort()) } : {}),
    });
    cli = glanceFor(glimpse.url, join(dir, 'home'));
    // The agent has reported in once the cache API answers.
    const deadline = Date.now() + 20000;
    while ((await cli('cache-list')).code !== 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
  }, 60000);

  afterAll(async () => {
    await glimpse?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('queues images, lists them cached, deletes one and clears the rest', async () => {
    const first = await createImage();
    const second = await createImage();
    ok(await cli('cache-queue', first, second));
    await eventually((listed) => listed[first] === 'cached' && listed[second] === 'cached');

    ok(await cli('cache-delete', first));
    const afterDelete = await cacheList();
    expect(afterDelete[first]).toBeUndefined();
    expect(afterDelete[second]).toBe('cached');

    ok(await cli('cache-clear', '--target', 'cache'));
    expect(await cacheList()).toEqual({});

    ok(await cli('cache-queue', first));
    await eventually((listed) => listed[first] === 'cached');
    ok(await cli('cache-clear'));
    expect(await cacheList()).toEqual({});
  }, CLI_TIMEOUT * 4);
});
