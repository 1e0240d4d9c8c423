import { createHash, randomUUID } from 'node:crypto';
import { PassThrough, Readable } from 'node:stream';
import type { AddOptions, StoreDriver } from '@glimpse/stores';

const MIB = 1024 * 1024;

export interface ConformanceTarget {
  /** A driver on a fresh, prepared backend (bucket, container or directory). */
  open(): Promise<StoreDriver>;
  /** Object names the backend holds now, to prove that a failed write left nothing behind. */
  leftovers(): Promise<string[]>;
  /** Bytes of the large-object case (≥ 200 MiB for drivers with multipart or segments). */
  largeBytes: number;
  /** For read-only drivers: puts bytes where the driver can read them and returns the location. */
  seed?(name: string, bytes: Buffer): Promise<string>;
}

/** Deterministic bytes, made as they are read: a large image never sits in memory. */
export function generated(size: number, seed = 7, chunk = MIB): { stream: () => Readable; md5: string; sha512: string; sliceOf: (start: number, end: number) => Buffer } {
  const block = Buffer.alloc(chunk);
  for (let i = 0; i < chunk; i++) block[i] = (i * 31 + seed * 17 + (i >> 8)) & 0xff;
  const byteAt = (offset: number) => block[offset % chunk];
  const md5 = createHash('md5');
  const sha512 = createHash('sha512');
  for (let sent = 0; sent < size; sent += chunk) {
    const piece = block.subarray(0, Math.min(chunk, size - sent));
    md5.update(piece);
    sha512.update(piece);
  }
  return {
    stream: () => {
      let sent = 0;
      return new Readable({
        read() {
          if (sent >= size) return void this.push(null);
          const piece = block.subarray(0, Math.min(chunk, size - sent));
          sent += piece.length;
          this.push(Buffer.from(piece));
        },
      });
    },
    md5: md5.digest('hex'),
    sha512: sha512.digest('hex'),
    sliceOf: (start, end) => Buffer.from(Array.from({ length: end - start + 1 }, (_, i) => byteAt(start + i))),
  };
}

export async function bytesOf(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** Digests of a stream without keeping it. */
export async function digestOf(stream: Readable): Promise<{ size: number; md5: string; sha512: string }> {
  const md5 = createHash('md5');
  const sha512 = createHash('sha512');
  let size = 0;
  for await (const chunk of stream) {
    size += (chunk as Buffer).length;
    md5.update(chunk as Buffer);
    sha512.update(chunk as Buffer);
  }
  return { size, md5: md5.digest('hex'), sha512: sha512.digest('hex') };
}

async function until(check: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('not within time');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function failingAfter(bytes: number): Readable {
  let sent = 0;
  return new Readable({
    read() {
      if (sent >= bytes) return void this.destroy(new Error('client went away'));
      const piece = Buffer.alloc(Math.min(MIB, bytes - sent), 0x5a);
      sent += piece.length;
      this.push(piece);
    },
  });
}

const failureOf = (failure: string) => expect.objectContaining({ failure });

/** The behaviour every StoreDriver owes the API, whatever it stores into. */
export function describeStoreConformance(name: string, target: ConformanceTarget): void {
  describe(`${name} store conformance`, () => {
    let driver: StoreDriver;
    const options: AddOptions = { hashAlgo: 'sha512', maxSize: 1024 * MIB };
    const small = generated(3 * MIB + 17);

    beforeAll(async () => {
      driver = await target.open();
    });

    const put = async (bytes: Buffer): Promise<string> => {
      if (target.seed) return target.seed(randomUUID(), bytes);
      return (await driver.add(randomUUID(), Readable.from([bytes]), { ...options, expectedSize: bytes.length })).location;
    };

    it('owns the locations it serves and no others', async () => {
      const location = await put(Buffer.from('owned'));
      expect(driver.owns(location)).toBe(true);
      expect(driver.owns('gopher://elsewhere/x')).toBe(false);
      await expect(driver.get('gopher://elsewhere/x')).rejects.toEqual(failureOf('invalid_location'));
    });

    if (target.seed) {
      it('refuses to write: the store is read-only', async () => {
        expect(driver.capabilities.write).toBe(false);
        await expect(driver.add(randomUUID(), Readable.from([Buffer.from('x')]), options)).rejects.toEqual(failureOf('add_disabled'));
      });
    } else {
      it('adds an image and reports its location, size and both digests', async () => {
        const stored = await driver.add(randomUUID(), small.stream(), { ...options, expectedSize: 3 * MIB + 17 });
        expect(stored).toEqual(expect.objectContaining({ size: 3 * MIB + 17, checksum: small.md5, hashAlgo: 'sha512', multihash: small.sha512 }));
        expect(stored.location).not.toMatch(/:[^/@]*@/);
        expect(await driver.size(stored.location)).toBe(3 * MIB + 17);
        expect(await digestOf((await driver.get(stored.location)).stream)).toEqual({ size: 3 * MIB + 17, md5: small.md5, sha512: small.sha512 });
      });

      it('adds an image of unknown size (chunked upload) and of zero bytes', async () => {
        const unknown = await driver.add(randomUUID(), small.stream(), options);
        expect(unknown.size).toBe(3 * MIB + 17);
        expect((await digestOf((await driver.get(unknown.location)).stream)).md5).toBe(small.md5);
        const empty = await driver.add(randomUUID(), Readable.from([]), { ...options, expectedSize: 0 });
        expect(empty).toEqual(expect.objectContaining({ size: 0, checksum: createHash('md5').digest('hex') }));
        expect(await driver.size(empty.location)).toBe(0);
      });

      it.each([
        ['shorter than announced', 3 * MIB + 18, 'size_mismatch'],
        ['longer than announced', 3 * MIB + 16, 'size_mismatch'],
      ])('fails a stream %s and leaves nothing behind', async (_case, expectedSize, failure) => {
        const before = await target.leftovers();
        await expect(driver.add(randomUUID(), small.stream(), { ...options, expectedSize })).rejects.toEqual(failureOf(failure));
        expect((await target.leftovers()).sort()).toEqual(before.sort());
      });

      it('fails a stream beyond maxSize with too_large and leaves nothing behind', async () => {
        const before = await target.leftovers();
        await expect(driver.add(randomUUID(), small.stream(), { ...options, maxSize: 2 * MIB })).rejects.toEqual(failureOf('too_large'));
        expect((await target.leftovers()).sort()).toEqual(before.sort());
      });

      it('leaves nothing visible when the source breaks off mid-write', async () => {
        const id = randomUUID();
        await expect(driver.add(id, failingAfter(5 * MIB + 3), options)).rejects.toThrow();
        const left = await target.leftovers();
        expect(left.filter((object) => object.includes(id))).toEqual([]);
      });

      it('purges what an abandoned upload left: the parts of a write in flight, an object never recorded', async () => {
        const id = randomUUID();
        const ofId = async (image: string) => (await target.leftovers()).filter((object) => object.includes(image));
        // More than two 5 MiB parts (S3 holds one back until the next is full), then the write
        // hangs, as when its process died.
        const source = new PassThrough();
        source.write(Buffer.alloc(11 * MIB + 1, 1));
        const writing = driver.add(id, source, options).catch((error: Error) => error);
        try {
          await until(async () => (await ofId(id)).length > 0);
          await driver.purgeUpload(id);
          expect(await ofId(id)).toEqual([]);
        } finally {
          source.destroy(new Error('the uploader died'));
        }
        expect(await writing).toBeInstanceOf(Error);
        expect(await ofId(id)).toEqual([]);

        const unrecorded = randomUUID();
        const stored = await driver.add(unrecorded, small.stream(), { ...options, expectedSize: 3 * MIB + 17 });
        await driver.purgeUpload(unrecorded);
        await expect(driver.size(stored.location)).rejects.toEqual(failureOf('not_found'));
        expect(await ofId(unrecorded)).toEqual([]);
        await driver.purgeUpload(randomUUID()); // nothing there
      }, 60_000);

      it(`round-trips a large object (${target.largeBytes / MIB} MiB) with memory independent of its size`, async () => {
        const large = generated(target.largeBytes, 3);
        const before = process.memoryUsage().rss;
        const stored = await driver.add(randomUUID(), large.stream(), { ...options, expectedSize: target.largeBytes });
        expect(stored).toEqual(expect.objectContaining({ size: target.largeBytes, checksum: large.md5, multihash: large.sha512 }));
        expect(await digestOf((await driver.get(stored.location)).stream)).toEqual({ size: target.largeBytes, md5: large.md5, sha512: large.sha512 });
        const tail = await driver.get(stored.location, { start: target.largeBytes - 10, end: target.largeBytes - 1 });
        expect(await bytesOf(tail.stream)).toEqual(large.sliceOf(target.largeBytes - 10, target.largeBytes - 1));
        expect(process.memoryUsage().rss - before).toBeLessThan(Math.max(150 * MIB, target.largeBytes / 2));
        await driver.delete(stored.location);
        await expect(driver.size(stored.location)).rejects.toEqual(failureOf('not_found'));
      }, 300_000);

      it('deletes an image, and a second delete is not_found', async () => {
        const location = await put(Buffer.from('to be deleted'));
        await driver.delete(location);
        await expect(driver.get(location).then((d) => bytesOf(d.stream))).rejects.toEqual(failureOf('not_found'));
        await expect(driver.size(location)).rejects.toEqual(failureOf('not_found'));
        await expect(driver.delete(location)).rejects.toEqual(failureOf('not_found'));
      });
    }

    it('reads a byte range when it can, with the size of the whole object', async () => {
      const bytes = small.sliceOf(0, 64 * 1024 - 1);
      const location = await put(bytes);
      if (!driver.capabilities.randomAccess) return;
      const part = await driver.get(location, { start: 1000, end: 1999 });
      expect(part.size).toBe(bytes.length);
      expect(await bytesOf(part.stream)).toEqual(bytes.subarray(1000, 2000));
      const last = await driver.get(location, { start: bytes.length - 1, end: bytes.length - 1 });
      expect(await bytesOf(last.stream)).toEqual(bytes.subarray(bytes.length - 1));
    });

    it('answers not_found for an object that is not there', async () => {
      const location = await put(Buffer.from('x'));
      const missing = location.replace(/[^/]+$/, randomUUID());
      await expect(driver.size(missing)).rejects.toEqual(failureOf('not_found'));
      await expect(driver.get(missing).then((d) => bytesOf(d.stream))).rejects.toEqual(failureOf('not_found'));
    });

  });
}
