import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { CacheFill, type FillTarget } from './cache-fill';

async function collect(stream: Readable): Promise<{ bytes: Buffer; error: Error | null }> {
  const chunks: Buffer[] = [];
  try {
    for await (const chunk of stream) chunks.push(chunk as Buffer);
    return { bytes: Buffer.concat(chunks), error: null };
  } catch (error) {
    return { bytes: Buffer.concat(chunks), error: error as Error };
  }
}

describe('CacheFill', () => {
  let dir: string;
  const paths = (id: string) => ({ incomplete: join(dir, 'incomplete', id), cached: join(dir, id), invalid: join(dir, 'invalid', id) });
  const target = (bytes: Buffer, digestOf = bytes): FillTarget => ({
    imageId: 'image-1',
    size: bytes.length,
    hashAlgo: 'sha512',
    hashValue: createHash('sha512').update(digestOf).digest('hex'),
    checksum: null,
  });

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'glimpse-fill-'));
    mkdirSync(join(dir, 'incomplete'));
    mkdirSync(join(dir, 'invalid'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('verifies the bytes, renames the file into place, and serves every reader the whole image', async () => {
    const bytes = randomBytes(3 * 1024 * 1024 + 17);
    const fill = new CacheFill(target(bytes), paths('image-1'), async () => Readable.from([bytes.subarray(0, 1000), bytes.subarray(1000)]));
    const [first, second] = await Promise.all([collect(fill.reader()), collect(fill.reader(10, 20)), fill.done]);
    expect(first.bytes.equals(bytes)).toBe(true);
    expect(second.bytes.equals(bytes.subarray(10, 21))).toBe(true);
    expect(readFileSync(join(dir, 'image-1')).equals(bytes)).toBe(true);
    expect(existsSync(join(dir, 'incomplete', 'image-1'))).toBe(false);
  });

  it('lets a late reader catch up with a growing file, but not past the last byte before verification', async () => {
    const bytes = randomBytes(256 * 1024);
    const origin = new PassThrough();
    const fill = new CacheFill(target(bytes), paths('image-1'), async () => origin);
    await fill.started;
    origin.write(bytes.subarray(0, 100 * 1024));
    const reader = collect(fill.reader());
    await new Promise((resolve) => setTimeout(resolve, 20));
    origin.end(bytes.subarray(100 * 1024));
    const read = await reader;
    await fill.done;
    expect(read.bytes.equals(bytes)).toBe(true);
  });

  it('cuts every reader short of the last byte and keeps the file in invalid/ when the digest does not match', async () => {
    const bytes = randomBytes(512 * 1024);
    const fill = new CacheFill(target(bytes, randomBytes(10)), paths('image-1'), async () => Readable.from([bytes]));
    const read = await collect(fill.reader());
    await expect(fill.done).rejects.toThrow(/does not match/);
    expect(read.error).not.toBeNull();
    expect(read.bytes.length).toBeLessThan(bytes.length);
    expect(existsSync(join(dir, 'invalid', 'image-1'))).toBe(true);
    expect(existsSync(join(dir, 'image-1'))).toBe(false);
  });

  it('fails an origin that sends fewer bytes than the image size, and rejects `started` when the origin cannot be read', async () => {
    const bytes = randomBytes(1000);
    const short = new CacheFill(target(bytes), paths('image-1'), async () => Readable.from([bytes.subarray(0, 900)]));
    await expect(short.done).rejects.toThrow(/900 of the 1000 bytes/);
    const broken = new CacheFill(target(bytes), paths('image-2'), () => Promise.reject(new Error('store down')));
    await expect(broken.started).rejects.toThrow('store down');
    await expect(broken.done).rejects.toThrow('store down');
    expect(existsSync(join(dir, 'incomplete', 'image-2'))).toBe(false);
  });
});
