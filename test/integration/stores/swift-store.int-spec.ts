import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { type AddressInfo, createServer } from 'node:net';
import { Readable } from 'node:stream';
import { type AddOptions, type SwiftAuthenticator, type SwiftSession, SwiftStore, type SwiftStoreSettings, SwiftTokens, swiftLogin } from '@glimpse/stores';
import { bytesOf, describeStoreConformance, digestOf, generated } from '../../support/store-conformance';

// The real Swift of scripts/objstore/start.sh in tempauth mode (OBJSTORE_* from /tmp/objstore/env).
const MIB = 1024 * 1024;
const container = `glimpse-conformance-${randomUUID().slice(0, 8)}`;
const settings: SwiftStoreSettings = {
  authAddress: process.env['OBJSTORE_SWIFT_AUTH_URL'] ?? 'http://127.0.0.1:18080/auth/v1.0',
  authVersion: '1',
  user: process.env['OBJSTORE_SWIFT_USER'] ?? 'test:tester',
  key: process.env['OBJSTORE_SWIFT_KEY'] ?? 'testing',
  container,
  createContainerOnPut: true,
  largeObjectSize: 8 * MIB,
  largeObjectChunkSize: 5 * MIB,
};
const options: AddOptions = { hashAlgo: 'sha512', maxSize: 1024 * MIB };
const admin = new SwiftTokens(swiftLogin(settings));

/** A port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  await new Promise((closed) => server.close(closed));
  return port;
}

/** Raw Swift API with the store's own credentials, to see what the driver left in the account. */
async function swift(method: string, path: string, init: { headers?: Record<string, string>; body?: Buffer } = {}): Promise<{ status: number; text: string }> {
  const session = await admin.session();
  const response = await fetch(`${session.storageUrl}${path}`, { method, body: init.body, headers: { ...init.headers, 'X-Auth-Token': session.token } });
  return { status: response.status, text: await response.text() };
}

async function names(inContainer: string, prefix = ''): Promise<string[]> {
  const response = await swift('GET', `/${inContainer}?format=json&prefix=${encodeURIComponent(prefix)}`);
  if (response.status === 404 || response.status === 204) return [];
  return (JSON.parse(response.text) as { name: string }[]).map((entry) => entry.name);
}

async function removeContainer(name: string): Promise<void> {
  for (const object of await names(name)) await swift('DELETE', `/${name}/${encodeURIComponent(object)}`);
  await swift('DELETE', `/${name}`);
}

afterAll(async () => {
  await removeContainer(container);
  await removeContainer(`${container}_segments`);
});

const store = new SwiftStore(settings);

describeStoreConformance('swift (tempauth v1)', {
  open: async () => {
    await store.prepare();
    return store;
  },
  leftovers: async () => [...(await names(container)), ...(await names(`${container}_segments`)).map((name) => `${container}_segments/${name}`)],
  largeBytes: 200 * MIB,
});

describe('swift store (tempauth v1) specifics', () => {
  beforeAll(() => store.prepare());

  it('writes a large image as a Static Large Object, and delete removes its segments', async () => {
    const id = randomUUID();
    const image = generated(12 * MIB, 5);
    const stored = await store.add(id, image.stream(), { ...options, expectedSize: 12 * MIB });
    expect(stored.location).toBe(`swift+http://127.0.0.1:18080/${container}/${id}`);

    const manifest = JSON.parse((await swift('GET', `/${container}/${id}?multipart-manifest=get`)).text) as { name: string; bytes: number }[];
    expect(manifest.map((segment) => segment.bytes)).toEqual([5 * MIB, 5 * MIB, 2 * MIB]);
    expect(await names(`${container}_segments`, `${id}/`)).toHaveLength(3);
    const across = await store.get(stored.location, { start: 5 * MIB - 3, end: 5 * MIB + 2 });
    expect(await bytesOf(across.stream)).toEqual(image.sliceOf(5 * MIB - 3, 5 * MIB + 2));

    await store.delete(stored.location);
    expect((await swift('HEAD', `/${container}/${id}`)).status).toBe(404);
    expect(await names(`${container}_segments`, `${id}/`)).toEqual([]);
  });

  it('reads and deletes a DLO as Glance writes it, through its credentialed location', async () => {
    const id = randomUUID();
    const image = generated(5 * MIB, 9);
    const chunk = 2_048_000; // glance_store's "2 MB"
    const whole = await bytesOf(image.stream());
    for (let n = 1, offset = 0; offset < whole.length; n++, offset += chunk) {
      const put = await swift('PUT', `/${container}/${id}-${String(n).padStart(5, '0')}`, { body: whole.subarray(offset, offset + chunk) });
      expect(put.status).toBe(201);
    }
    const manifest = await swift('PUT', `/${container}/${id}`, { headers: { 'X-Object-Manifest': `${container}/${id}-` }, body: Buffer.alloc(0) });
    expect(manifest.status).toBe(201);
    const glanceLocation = `swift+http://test%3Atester:testing@127.0.0.1:18080/auth/v1.0/${container}/${id}`;

    expect(store.owns(glanceLocation)).toBe(true);
    expect(await store.size(glanceLocation)).toBe(5 * MIB);
    expect(await digestOf((await store.get(glanceLocation)).stream)).toEqual({ size: 5 * MIB, md5: image.md5, sha512: image.sha512 });
    const part = await store.get(glanceLocation, { start: chunk - 2, end: chunk + 1 });
    expect(part.size).toBe(5 * MIB);
    expect(await bytesOf(part.stream)).toEqual(whole.subarray(chunk - 2, chunk + 2));

    await store.delete(glanceLocation);
    expect(await names(container, id)).toEqual([]);
  });

  it.each([
    ['one object', 3 * MIB],
    ['a large object', 9 * MIB],
  ])('refuses to overwrite an image stored as %s and leaves the first intact', async (_case, size) => {
    const id = randomUUID();
    const first = generated(size, 1);
    const stored = await store.add(id, first.stream(), { ...options, expectedSize: size });
    const before = await names(`${container}_segments`, `${id}/`);
    await expect(store.add(id, generated(size, 2).stream(), { ...options, expectedSize: size })).rejects.toEqual(
      expect.objectContaining({ failure: 'duplicate' }),
    );
    expect(await names(`${container}_segments`, `${id}/`)).toEqual(before);
    expect((await digestOf((await store.get(stored.location)).stream)).md5).toBe(first.md5);
  });

  it('stores an empty image of unknown size as an empty object', async () => {
    const stored = await store.add(randomUUID(), Readable.from([]), options);
    expect(stored.size).toBe(0);
    expect(await store.size(stored.location)).toBe(0);
    expect(await bytesOf((await store.get(stored.location)).stream)).toEqual(Buffer.alloc(0));
  });

  it('logs in again when Swift has forgotten the cached token', async () => {
    const login = swiftLogin(settings);
    let logins = 0;
    // tempauth forgets a token when it expires: then it is as unknown to Swift as this made-up one.
    const tokens = new SwiftTokens(async () => {
      logins += 1;
      const session = await login();
      return logins === 1 ? { ...session, token: `AUTH_tk${randomUUID().replace(/-/g, '')}` } : session;
    });
    const stored = await store.add(randomUUID(), Readable.from([Buffer.from('fresh')]), { ...options, expectedSize: 5 });
    expect(await new SwiftStore(settings, tokens).size(stored.location)).toBe(5);
    expect(logins).toBe(2);
  });

  describe('retries each kind of request once with a new token', () => {
    // Small sizes, so that an add of 1000 bytes is a Static Large Object of three segments.
    const tiny = { ...settings, largeObjectSize: 1000, largeObjectChunkSize: 400 };
    const stale = `AUTH_tk${'0'.repeat(32)}`;

    /** The real tokens, except that the n-th session is one Swift does not know. */
    class StaleAt implements SwiftAuthenticator {
      calls = 0;
      readonly refused: string[] = [];
      constructor(private readonly staleCall: number) {}
      get storageUrl(): string | undefined {
        return admin.storageUrl;
      }
      async session(): Promise<SwiftSession> {
        this.calls += 1;
        const session = await admin.session();
        return this.calls === this.staleCall ? { ...session, token: stale } : session;
      }
      invalidate(token: string): void {
        this.refused.push(token);
      }
    }

    async function cycle(auth: StaleAt, size: number): Promise<void> {
      const driver = new SwiftStore(tiny, auth);
      const image = generated(size, 4, 300);
      const stored = await driver.add(randomUUID(), image.stream(), { ...options, expectedSize: size });
      expect((await digestOf((await driver.get(stored.location)).stream)).md5).toBe(image.md5);
      await driver.delete(stored.location);
    }

    it.each([
      ['one object', 900],
      ['a large object', 1000],
    ])('for %s: add, get and delete succeed whichever request meets the stale token', async (_case, size) => {
      const counting = new StaleAt(0);
      await cycle(counting, size);
      expect(counting.calls).toBeGreaterThan(5);
      for (let n = 1; n <= counting.calls; n++) {
        const auth = new StaleAt(n);
        await cycle(auth, size);
        expect(auth.refused).toEqual([stale]);
      }
    });
  });

  it('answers unavailable, naming the option at start, when Swift or its auth service cannot be reached', async () => {
    const closed = await closedPort();
    await expect(new SwiftStore({ ...settings, authAddress: `http://127.0.0.1:${closed}/auth/v1.0` }).prepare()).rejects.toThrow(
      /^swift_store_auth_address=.*ECONNREFUSED/,
    );
    const stored = await store.add(randomUUID(), Readable.from([Buffer.from('here')]), { ...options, expectedSize: 4 });
    const elsewhere = new SwiftStore({ ...settings, endpoint: `http://127.0.0.1:${closed}/v1/AUTH_test` });
    const moved = stored.location.replace(':18080/', `:${closed}/`);
    await expect(elsewhere.get(moved)).rejects.toEqual(expect.objectContaining({ failure: 'unavailable' }));
    await expect(elsewhere.add(randomUUID(), Readable.from([Buffer.from('x')]), { ...options, expectedSize: 1 })).rejects.toEqual(
      expect.objectContaining({ failure: 'unavailable' }),
    );
  });

  it('reports the options Glance reports', () => {
    expect(store.properties()).toEqual({ container, large_object_size: 8 * MIB, large_object_chunk_size: 5 * MIB });
  });
});
