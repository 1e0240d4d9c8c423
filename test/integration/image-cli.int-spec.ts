import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { qcow2Image } from '../support/disk-images';
import { api } from '../support/http';
import { type RunningGlimpse, freePort, startGlimpse } from '../support/glimpse';
import { runProcess } from '../support/run-process';

const MIB = 1024 * 1024;
const md5 = (bytes: Buffer) => createHash('md5').update(bytes).digest('hex');

/** bin/glimpse-image.js as an operator runs it: uploads and downloads with progress bars, checksums checked. */
describe('the image CLI (embedded, with a cache agent)', () => {
  let glimpse: RunningGlimpse;
  let agentUrl: string;
  const work = mkdtempSync(join(tmpdir(), 'glimpse-image-cli-'));
  const cli = (...args: string[]) =>
    runProcess(process.execPath, ['bin/glimpse-image.js', ...args, '--url', glimpse.url], { env: { PATH: process.env['PATH'] ?? '' }, timeoutMs: 30000 });

  beforeAll(async () => {
    const agentPort = await freePort();
    agentUrl = `http://127.0.0.1:${agentPort}`;
    glimpse = await startGlimpse('embedded', { GLIMPSE_IMAGE_CACHE_DIR: join(work, 'cache'), GLIMPSE_CACHE_AGENT_PORT: String(agentPort) });
  }, 60000);

  afterAll(async () => {
    await glimpse?.stop();
    rmSync(work, { recursive: true, force: true });
  });

  it('uploads a file into a new image with a progress bar and says its id and checksum', async () => {
    const bytes = qcow2Image(join(work, 'disk.qcow2'), 8 * MIB);
    const uploaded = await cli('upload', join(work, 'disk.qcow2'), '--name', 'from-cli', '--disk-format', 'qcow2');
    expect(uploaded.code).toBe(0);
    const [id] = uploaded.stdout.split(' ');
    expect(uploaded.stdout).toBe(`${id} ${bytes.length} bytes, checksum ${md5(bytes)}\n`);
    const bars = uploaded.stderr.trim().split('\n');
    // one line as each quarter is passed (1 MiB reads: a little past each mark)
    expect(bars.map((line) => Math.floor(Number(/\] +(\d+)%/.exec(line)?.[1]) / 25))).toEqual([1, 2, 3, 4]);
    expect(bars[3]).toMatch(new RegExp(`^upload ${id} \\[#{24}\\] 100%  8\\.\\d of 8\\.\\d MiB  [\\d.]+ MiB/s$`));
    const image = (await api(glimpse.url).get(`/v2/images/${id}`)).json();
    expect(image).toMatchObject({ name: 'from-cli', status: 'active', size: bytes.length, checksum: md5(bytes), disk_format: 'qcow2', container_format: 'bare', virtual_size: 64 * MIB });
  });

  it('downloads from the API and from a cache agent, byte for byte, leaving no partial file on failure', async () => {
    const bytes = randomBytes(3 * MIB + 17);
    writeFileSync(join(work, 'small.raw'), bytes);
    const id = (await cli('upload', join(work, 'small.raw'))).stdout.split(' ')[0];

    const fromApi = await cli('download', id, join(work, 'via-api'));
    expect(fromApi.code).toBe(0);
    expect(fromApi.stderr).toContain(`download ${id} [########################] 100%  3.0 of 3.0 MiB`);
    expect(readFileSync(join(work, 'via-api')).equals(bytes)).toBe(true);

    const fromAgent = await runProcess(process.execPath, ['bin/glimpse-image.js', 'download', id, join(work, 'via-agent'), '--url', agentUrl], {
      env: { PATH: process.env['PATH'] ?? '' },
      timeoutMs: 30000,
    });
    expect(fromAgent.code).toBe(0);
    expect(readFileSync(join(work, 'via-agent')).equals(bytes)).toBe(true);

    const missing = await cli('download', '5a4b0c1e-0000-4000-8000-000000000000', join(work, 'nothing'));
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('404 No image found with ID 5a4b0c1e-0000-4000-8000-000000000000');
    expect(readdirSync(work).filter((name) => name.startsWith('nothing'))).toEqual([]);
  });

  it('refuses to upload into an active image, and says what the API said', async () => {
    writeFileSync(join(work, 'again.raw'), randomBytes(1024));
    const id = (await cli('upload', join(work, 'again.raw'))).stdout.split(' ')[0];
    const again = await cli('upload', join(work, 'again.raw'), '--id', id);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('409 Image status transition from active to saving is not allowed');
    expect((await cli('upload')).code).toBe(1);
    expect((await cli('frobnicate')).code).toBe(2);
    expect(existsSync(join(work, 'again.raw'))).toBe(true);
  });
});
