import { createHash } from 'node:crypto';
import fs = require('node:fs');
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import { pathToFileURL } from 'node:url';
import { FilesystemStore } from './filesystem.store';

const MIB = 1024 * 1024;
const OPTIONS = { hashAlgo: 'sha512', maxSize: 64 * MIB } as const;

let root: string;
let dir: string;
let store: FilesystemStore;

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'glimpse-fs-store-'));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

beforeEach(async () => {
  dir = mkdtempSync(join(root, 'images-'));
  store = new FilesystemStore(dir);
  await store.prepare();
});

/** Sends `before`, then fails, as a client that goes away mid-upload. */
function failingAfter(before: Buffer[]): Readable {
  const chunks = [...before];
  return new Readable({
    read() {
      const next = chunks.shift();
      if (next) this.push(next);
      else this.destroy(new Error('client went away'));
    },
  });
}

async function bytesOf(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

describe('FilesystemStore', () => {
  const data = Buffer.from(Array.from({ length: 3 * MIB + 17 }, (_, i) => (i * 13) & 0xff));

  it('adds an image as a file and says where, how big and what checksums', async () => {
    const stored = await store.add('img-1', Readable.from([data.subarray(0, MIB + 1), data.subarray(MIB + 1)]), { ...OPTIONS, expectedSize: data.length });
    expect(stored).toEqual({
      location: pathToFileURL(join(dir, 'img-1')).href,
      size: data.length,
      checksum: createHash('md5').update(data).digest('hex'),
      hashAlgo: 'sha512',
      multihash: createHash('sha512').update(data).digest('hex'),
    });
    expect(readFileSync(join(dir, 'img-1')).equals(data)).toBe(true);
    expect(readdirSync(dir)).toEqual(['img-1']);
  });

  it('reads the whole image or exactly a range', async () => {
    const { location } = await store.add('img-2', Readable.from([data]), OPTIONS);
    const whole = await store.get(location);
    expect([whole.size, (await bytesOf(whole.stream)).equals(data)]).toEqual([data.length, true]);
    const part = await store.get(location, { start: MIB - 2, end: MIB + 5 });
    expect([part.size, await bytesOf(part.stream)]).toEqual([data.length, data.subarray(MIB - 2, MIB + 6)]);
    expect(await store.size(location)).toBe(data.length);
  });

  it.each([
    ['fails after some data', () => failingAfter([data.subarray(0, MIB), data.subarray(MIB, 2 * MIB)]), undefined, 'client went away'],
    ['fails before any data', () => failingAfter([]), undefined, 'client went away'],
    ['is longer than announced', () => Readable.from([data]), 10, `Size of uploaded data (${data.length} bytes) differs from the announced size of 10 bytes.`],
  ])('leaves no file at all when the input %s', async (_what, input, expectedSize, message) => {
    await expect(store.add('img-3', input(), { ...OPTIONS, expectedSize })).rejects.toThrow(message);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('leaves no partial file when the input fails before the file is even open', async () => {
    // Hold the partial file's open() until add() has settled (or, when add() waits for it, a few turns).
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    const opened: fs.WriteStream[] = [];
    const realCreate = fs.createWriteStream;
    const heldOpen = (...args: Parameters<typeof fs.open>) => void released.then(() => (fs.open as (...a: unknown[]) => void)(...args));
    const spy = jest.spyOn(fs, 'createWriteStream').mockImplementation((path, options) => {
      const stream = realCreate(path, { ...(options as object), fs: { ...fs, open: heldOpen } });
      opened.push(stream);
      return stream;
    });
    try {
      const added = store.add('img-6', failingAfter([]), OPTIONS);
      void added.catch(() => undefined).then(release);
      for (let turn = 0; turn < 20; turn++) await new Promise(setImmediate);
      release();
      await expect(added).rejects.toThrow('client went away');
      await Promise.all(opened.map((s) => (s.closed ? undefined : new Promise<void>((done) => s.once('close', () => done())))));
    } finally {
      spy.mockRestore();
    }
    expect([opened.length, readdirSync(dir)]).toEqual([1, []]);
  });

  it('deletes an image, and reports a missing one as not_found', async () => {
    const { location } = await store.add('img-4', Readable.from([Buffer.from('abc')]), OPTIONS);
    await store.delete(location);
    expect(existsSync(join(dir, 'img-4'))).toBe(false);
    await expect(store.delete(location)).rejects.toMatchObject({ failure: 'not_found', message: `No data found for ${location}` });
    await expect(store.get(location)).rejects.toMatchObject({ failure: 'not_found', code: 'not_found' });
  });

  it('accepts filesystem:// locations inside its directory', async () => {
    await store.add('img-5', Readable.from([Buffer.from('hello')]), OPTIONS);
    expect(await text((await store.get(`filesystem://${join(dir, 'img-5')}`)).stream)).toBe('hello');
  });

  it.each([
    () => pathToFileURL('/etc/passwd').href,
    () => `${pathToFileURL(dir).href}/../escape`,
    () => pathToFileURL(dir).href,
    () => `${pathToFileURL(dir).href}-sibling/x`,
    () => 'filesystem://relative/path',
    () => 'http://example.com/x',
  ])('refuses a location outside the store (%#)', async (location) => {
    await expect(store.get(location())).rejects.toMatchObject({ failure: 'invalid_location', code: 'bad_request' });
    await expect(store.delete(location())).rejects.toMatchObject({ failure: 'invalid_location' });
  });

  it('creates its directory and names filesystem_store_datadir when it cannot write there', async () => {
    const fresh = join(root, 'fresh', 'nested');
    await new FilesystemStore(fresh).prepare();
    expect(readdirSync(fresh)).toEqual([]);

    const blocker = join(root, 'blocker');
    writeFileSync(blocker, 'a file, not a directory');
    await expect(new FilesystemStore(join(blocker, 'images')).prepare()).rejects.toThrow(
      new RegExp(`^filesystem_store_datadir=${join(blocker, 'images')} is not writable by uid \\d+: `),
    );
  });
});
