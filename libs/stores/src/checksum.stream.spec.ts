import { createHash } from 'node:crypto';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { type ChecksumOptions, type Checksums, ChecksumStream } from './checksum.stream';

const MIB = 1024 * 1024;

/** Deterministic bytes that differ from slot to slot. */
function bytes(length: number): Buffer {
  const data = Buffer.alloc(length);
  for (let i = 0; i < length; i++) data[i] = (i * 31 + (i >> 20) * 7) & 0xff;
  return data;
}

function chunked(data: Buffer, size: number): Buffer[] {
  const chunks: Buffer[] = [];
  for (let i = 0; i < data.length; i += size) chunks.push(data.subarray(i, i + size));
  return chunks;
}

async function run(chunks: Buffer[], options: Partial<ChecksumOptions> = {}): Promise<{ out: Buffer; sums: Checksums }> {
  const stream = new ChecksumStream({ hashAlgo: 'sha512', maxSize: 64 * MIB, ...options });
  const out: Buffer[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      out.push(Buffer.from(chunk));
      callback();
    },
  });
  await pipeline(Readable.from(chunks), stream, sink);
  return { out: Buffer.concat(out), sums: stream.checksums() };
}

function digest(algo: string, data: Buffer): string {
  return createHash(algo).update(data).digest('hex');
}

describe('ChecksumStream', () => {
  it.each([
    ['empty input', 0, 1, 'sha512'],
    ['tiny input', 3, 1, 'sha512'],
    ['one exact slot', MIB, MIB, 'sha256'],
    ['multi-MiB input in odd chunks', 5 * MIB + 123, 65_537, 'sha512'],
    ['chunks larger than a slot', 9 * MIB + 1, 3 * MIB - 5, 'sha256'],
  ] as const)('hashes %s like node:crypto and passes the bytes through', async (_what, length, chunk, hashAlgo) => {
    const data = bytes(length);
    const { out, sums } = await run(chunked(data, chunk), { hashAlgo, expectedSize: length });
    expect(out.equals(data)).toBe(true);
    expect(sums).toEqual({ size: length, md5: digest('md5', data), hashAlgo, multihash: digest(hashAlgo, data) });
  });

  it('keeps concurrent streams apart', async () => {
    const a = bytes(3 * MIB + 11);
    const b = Buffer.from(bytes(2 * MIB + 5)).reverse();
    const [ra, rb] = await Promise.all([run(chunked(a, 100_003)), run(chunked(b, 77_777))]);
    expect([ra.sums.md5, rb.sums.multihash]).toEqual([digest('md5', a), digest('sha512', b)]);
  });

  it.each([
    ['more bytes than announced', 2 * MIB + 1, 2 * MIB, `Size of uploaded data (${2 * MIB + 1} bytes) differs from the announced size of ${2 * MIB} bytes.`],
    ['fewer bytes than announced', 10, 11, 'Size of uploaded data (10 bytes) differs from the announced size of 11 bytes.'],
  ])('fails with size_mismatch on %s', async (_what, length, expectedSize, message) => {
    await expect(run(chunked(bytes(length), 4096), { expectedSize })).rejects.toMatchObject({
      name: 'StoreError',
      failure: 'size_mismatch',
      code: 'bad_request',
      message,
    });
  });

  it('fails with too_large past maxSize', async () => {
    await expect(run(chunked(bytes(3 * MIB), MIB), { maxSize: 2 * MIB + 7 })).rejects.toMatchObject({
      failure: 'too_large',
      code: 'payload_too_large',
      message: `The image is larger than the limit of ${2 * MIB + 7} bytes.`,
    });
  });

  it('still hashes correctly after failed streams', async () => {
    const data = bytes(MIB + 3);
    const { sums } = await run(chunked(data, 4099));
    expect(sums.md5).toBe(digest('md5', data));
  });

  it('keeps the process alive only while it hashes', async () => {
    const ports = () => process.getActiveResourcesInfo().filter((resource) => resource === 'MessagePort').length;
    await run([bytes(10)]);
    const idle = ports();
    const stream = new ChecksumStream({ hashAlgo: 'sha512', maxSize: 10 });
    const busy = ports();
    stream.destroy();
    expect([idle, busy - idle, ports()]).toEqual([0, 2, 0]);
  });

  it('has no checksums before it finishes', () => {
    const stream = new ChecksumStream({ hashAlgo: 'sha512', maxSize: 10 });
    expect(() => stream.checksums()).toThrow('checksums read before the stream finished');
    stream.destroy();
  });
});
