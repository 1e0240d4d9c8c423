import type { IncomingMessage } from 'node:http';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { StoreError } from '../store.errors';
import { type CatalogEntry, type SwiftSession, SwiftTokens, endpointFromCatalog, splitUser } from './swift-auth';
import { storeErrorOfStatus } from './swift-http';
import { type SwiftObject, formatSwiftLocation, parseSwiftLocation } from './swift-location';
import { type PartPlan, PartsWritable } from './swift-upload';
import { GLANCE_SWIFT_MB, type SwiftAuthenticator, SwiftStore, type SwiftStoreSettings } from './swift.store';

const ID = '6f0bd7a5-3b68-4c43-9c6b-0e6b8d4a1f2e';
const STORAGE = 'http://127.0.0.1:18080/v1/AUTH_test';
const SETTINGS: SwiftStoreSettings = { authAddress: 'http://127.0.0.1:15000/v3', authVersion: '3', user: 'service:glance', key: 'secret' };

/** An authenticator that never logs in: these tests make no request. */
function knownStorage(storageUrl: string | undefined): SwiftAuthenticator {
  return {
    storageUrl,
    session: () => Promise.reject(new Error('no network in unit tests')),
    invalidate: () => undefined,
  };
}

const failureOf = (failure: string) => expect.objectContaining({ failure });

describe('Swift locations', () => {
  it('formats Glimpse locations from the storage URL, without credentials or account', () => {
    expect(formatSwiftLocation(STORAGE, 'glance', ID)).toBe(`swift+http://127.0.0.1:18080/glance/${ID}`);
    expect(formatSwiftLocation('https://swift.example.org/v1/AUTH_abc', 'glance', ID)).toBe(`swift+https://swift.example.org/glance/${ID}`);
    expect(formatSwiftLocation(STORAGE, 'my images', 'a/b')).toBe('swift+http://127.0.0.1:18080/my%20images/a%2Fb');
  });

  it('parses its own form, which round-trips', () => {
    const location = formatSwiftLocation(STORAGE, 'glance', ID);
    expect(parseSwiftLocation(location)).toEqual({ scheme: 'swift+http', host: '127.0.0.1:18080', container: 'glance', object: ID, native: true });
    expect(parseSwiftLocation('swift+http://127.0.0.1:18080/my%20images/a%2Fb')).toEqual(
      expect.objectContaining({ container: 'my images', object: 'a/b', native: true }),
    );
  });

  it.each([
    ['swift+http://service%3Aglance:secret@127.0.0.1:15000/v3/glance/' + ID, 'swift+http', '127.0.0.1:15000'],
    ['swift+https://test:tester:testing@swift.example.org/auth/v1.0/glance/' + ID, 'swift+https', 'swift.example.org'],
    ['swift://account:user:pa/ss@word@auth.example.org/v2.0/glance/' + ID, 'swift', 'auth.example.org'],
    ['swift+config://ref1/glance/' + ID, 'swift+config', 'ref1'],
    ['SWIFT+HTTP://127.0.0.1:15000/v3/glance/' + ID + '?ignored=1', 'swift+http', '127.0.0.1:15000'],
  ])('reads Glance form %s as container and object, ignoring the credentials', (location, scheme, host) => {
    expect(parseSwiftLocation(location)).toEqual({ scheme, host, container: 'glance', object: ID, native: false });
  });

  it.each([
    'gopher://elsewhere/x',
    'swift+http://127.0.0.1:18080/glance',
    'swift+http://127.0.0.1:18080/glance/',
    'swift+http:///glance/' + ID,
    'swift://user:key@http://auth.example.org/v1/glance/' + ID,
    'swift+http://127.0.0.1:18080/glance/%E0%A4%A',
    'file:///glance/' + ID,
  ])('refuses %s as invalid_location', (location) => {
    expect(() => parseSwiftLocation(location)).toThrow(expect.objectContaining({ failure: 'invalid_location' }));
  });

  it('keeps credentials out of the error message', () => {
    expect(() => parseSwiftLocation('swift+http://user:hunter2@auth.example.org/glance')).toThrow(/^Invalid Swift location swift\+http:\/\/\*\*\*@auth/);
    expect(() => parseSwiftLocation('swift+http://user:hunter2@auth.example.org/glance')).not.toThrow(/hunter2/);
  });
});

describe('SwiftStore.owns', () => {
  const store = new SwiftStore(SETTINGS, knownStorage(STORAGE));

  it('owns its own locations on its storage host and in its container', () => {
    expect(store.owns(`swift+http://127.0.0.1:18080/glance/${ID}`)).toBe(true);
    expect(store.owns(`swift+http://127.0.0.1:18080/other/${ID}`)).toBe(false);
    expect(store.owns(`swift+http://127.0.0.1:18180/glance/${ID}`)).toBe(false);
    expect(store.owns(`swift+https://127.0.0.1:18080/glance/${ID}`)).toBe(false);
  });

  it("owns Glance's forms by their container, whatever their auth host", () => {
    expect(store.owns(`swift+http://service%3Aglance:secret@keystone.example.org:5000/v3/glance/${ID}`)).toBe(true);
    expect(store.owns(`swift://service%3Aglance:secret@keystone.example.org/v3/glance/${ID}`)).toBe(true);
    expect(store.owns(`swift+config://ref1/glance/${ID}`)).toBe(true);
    expect(store.owns(`swift+config://ref1/elsewhere/${ID}`)).toBe(false);
  });

  it('owns nothing of another scheme, and does not throw on garbage', () => {
    expect(store.owns(`s3://127.0.0.1:18080/glance/${ID}`)).toBe(false);
    expect(store.owns('not a url')).toBe(false);
  });

  it('compares only the container before the first login, unless swift_store_endpoint says where the storage is', () => {
    expect(new SwiftStore(SETTINGS, knownStorage(undefined)).owns(`swift+http://anywhere:1/glance/${ID}`)).toBe(true);
    const pinned = new SwiftStore({ ...SETTINGS, endpoint: 'https://swift.example.org/v1/AUTH_x' }, knownStorage(undefined));
    expect(pinned.owns(`swift+https://swift.example.org/glance/${ID}`)).toBe(true);
    expect(pinned.owns(`swift+http://swift.example.org/glance/${ID}`)).toBe(false);
  });

  it('refuses to read or delete a location it does not own, before any request', async () => {
    await expect(store.get(`swift+http://127.0.0.1:18080/other/${ID}`)).rejects.toEqual(failureOf('invalid_location'));
    await expect(store.delete('gopher://elsewhere/x')).rejects.toEqual(failureOf('invalid_location'));
    await expect(store.size(`swift+http://user:key@h/v3/other/${ID}`)).rejects.toThrow(`Location swift+http://***@h/v3/other/${ID} is not in`);
  });
});

describe('SwiftStore settings', () => {
  it("defaults to Glance's options and reports them as /v2/info/stores/detail does (bytes)", () => {
    expect(new SwiftStore(SETTINGS, knownStorage(STORAGE)).properties()).toEqual({
      container: 'glance',
      large_object_size: 5120 * GLANCE_SWIFT_MB,
      large_object_chunk_size: 200 * GLANCE_SWIFT_MB,
    });
  });

  it.each([
    [{ authAddress: 'keystone:5000' }, /^swift_store_auth_address=keystone:5000 /],
    [{ authVersion: '2' as '3' }, /^swift_store_auth_version=2 /],
    [{ user: 'glance' }, /^swift_store_user=glance must be project:user/],
    [{ container: 'a/b' }, /^swift_store_container=a\/b /],
    [{ largeObjectChunkSize: 0 }, /^swift_store_large_object_chunk_size=0 /],
    [{ endpoint: 'swift' }, /^swift_store_endpoint=swift /],
  ])('prepare() names the option that is wrong: %o', async (change, message) => {
    await expect(new SwiftStore({ ...SETTINGS, ...change }, knownStorage(STORAGE)).prepare()).rejects.toThrow(message);
  });

  it('prepare() names swift_store_auth_address when the login fails', async () => {
    await expect(new SwiftStore(SETTINGS, knownStorage(STORAGE)).prepare()).rejects.toThrow(/^swift_store_auth_address=http:\/\/127.0.0.1:15000\/v3: no network/);
  });

  it('splits swift_store_user as project:user', () => {
    expect(splitUser('service:glance')).toEqual(['service', 'glance']);
    expect(splitUser('service:glance:x')).toEqual(['service', 'glance:x']);
    expect(() => splitUser(':glance')).toThrow(/swift_store_user/);
  });
});

describe('endpointFromCatalog', () => {
  const catalog: CatalogEntry[] = [
    { type: 'identity', endpoints: [{ interface: 'public', region_id: 'RegionOne', url: 'http://keystone/v3' }] },
    {
      type: 'object-store',
      endpoints: [
        { interface: 'admin', region_id: 'RegionOne', url: 'http://admin-one/v1/AUTH_p' },
        { interface: 'public', region_id: 'RegionTwo', url: 'http://public-two/v1/AUTH_p' },
        { interface: 'public', region_id: 'RegionOne', url: 'http://public-one/v1/AUTH_p' },
        { interface: 'internal', region: 'RegionOne', url: 'http://internal-one/v1/AUTH_p' },
      ],
    },
  ];
  const wanted = { serviceType: 'object-store', endpointType: 'publicURL' };

  it.each([
    [{ region: 'RegionOne' }, 'http://public-one/v1/AUTH_p'],
    [{ region: 'RegionTwo' }, 'http://public-two/v1/AUTH_p'],
    [{ region: 'RegionOne', endpointType: 'internalURL' }, 'http://internal-one/v1/AUTH_p'],
    [{ region: 'RegionOne', endpointType: 'adminURL' }, 'http://admin-one/v1/AUTH_p'],
    [{ region: 'RegionOne', endpointType: 'internal' }, 'http://internal-one/v1/AUTH_p'],
    [{}, 'http://public-two/v1/AUTH_p'],
  ])('picks by service type, interface and region: %o', (change, url) => {
    expect(endpointFromCatalog(catalog, { ...wanted, ...change })).toBe(url);
  });

  it('names the options when nothing matches', () => {
    expect(() => endpointFromCatalog(catalog, { ...wanted, region: 'RegionThree' })).toThrow(
      'swift_store_service_type=object-store, swift_store_endpoint_type=publicURL, swift_store_region=RegionThree',
    );
    expect(() => endpointFromCatalog(catalog, { ...wanted, serviceType: 'swift' })).toThrow(/swift_store_service_type=swift/);
  });
});

describe('Swift status to StoreError', () => {
  it.each([
    [404, 'read', 'not_found'],
    [404, 'write', 'not_found'],
    [401, 'read', 'unavailable'],
    [403, 'read', 'unavailable'],
    [401, 'write', 'write_denied'],
    [403, 'write', 'write_denied'],
    [413, 'write', 'store_full'],
    [412, 'write', 'duplicate'],
    [500, 'read', 'unavailable'],
    [503, 'write', 'unavailable'],
    [507, 'write', 'unavailable'],
    [422, 'write', 'unavailable'],
  ] as const)('%i on a %s is %s', (status, access, failure) => {
    const error = storeErrorOfStatus(status, access, `glance/${ID}`);
    expect(error).toBeInstanceOf(StoreError);
    expect(error).toEqual(failureOf(failure));
  });

  it('answers 416 with range_not_satisfiable', () => {
    expect(storeErrorOfStatus(416, 'read', `glance/${ID}`)).toEqual(expect.objectContaining({ code: 'range_not_satisfiable' }));
  });
});

describe('SwiftTokens', () => {
  const session = (token: string, expiresAt?: number): SwiftSession => ({ token, storageUrl: STORAGE, expiresAt });

  it('logs in once for concurrent callers and then serves the cached token', async () => {
    const login = jest.fn(async () => session('t1'));
    const tokens = new SwiftTokens(login);
    const [a, b] = await Promise.all([tokens.session(), tokens.session()]);
    expect([a.token, b.token, (await tokens.session()).token]).toEqual(['t1', 't1', 't1']);
    expect(login).toHaveBeenCalledTimes(1);
    expect(tokens.storageUrl).toBe(STORAGE);
  });

  it('logs in again a minute before the token expires', async () => {
    let now = 0;
    let n = 0;
    const tokens = new SwiftTokens(async () => session(`t${++n}`, 10 * 60_000), () => now);
    expect((await tokens.session()).token).toBe('t1');
    now = 8 * 60_000;
    expect((await tokens.session()).token).toBe('t1');
    now = 9 * 60_000 + 1;
    expect((await tokens.session()).token).toBe('t2');
  });

  it('forgets only the token Swift refused', async () => {
    let n = 0;
    const tokens = new SwiftTokens(async () => session(`t${++n}`));
    await tokens.session();
    tokens.invalidate('t0');
    expect((await tokens.session()).token).toBe('t1');
    tokens.invalidate('t1');
    expect(tokens.storageUrl).toBe(STORAGE);
    expect((await tokens.session()).token).toBe('t2');
  });

  it('does not cache a failed login', async () => {
    const login = jest.fn<Promise<SwiftSession>, []>().mockRejectedValueOnce(new Error('keystone down')).mockResolvedValueOnce(session('t1'));
    const tokens = new SwiftTokens(login);
    await expect(tokens.session()).rejects.toThrow('keystone down');
    expect((await tokens.session()).token).toBe('t1');
  });
});

describe('PartsWritable', () => {
  /** Parts that record what they were sent, instead of talking to Swift. */
  function recorder() {
    const parts: { target: SwiftObject; length: number | undefined; bytes: number[]; finished: boolean; aborted: boolean }[] = [];
    const open: PartPlan['open'] = async (index, length) => {
      const part = { target: { container: 'c', object: `p${index}` }, length, bytes: [] as number[], finished: false, aborted: false };
      parts.push(part);
      return {
        target: part.target,
        body: {
          write: async (chunk: Buffer) => void part.bytes.push(...chunk),
          finish: async () => {
            part.finished = true;
            return Object.assign(Readable.from([]), { statusCode: 201, headers: { etag: `"e${index}"` } }) as unknown as IncomingMessage;
          },
          abort: () => void (part.aborted = true),
        },
      };
    };
    return { parts, open };
  }
  const failureOf: PartPlan['failureOf'] = async () => new Error('not stored');
  const bytes = (n: number, from = 0) => Buffer.from(Array.from({ length: n }, (_, i) => from + i));

  it('holds the last byte of a single object back until the source has ended', async () => {
    const { parts, open } = recorder();
    const writer = new PartsWritable({ partSize: Infinity, totalSize: 10, holdLastByte: true, open, failureOf });
    await new Promise<void>((done) => writer.write(bytes(4), () => writer.write(bytes(6, 4), () => done())));
    expect(parts).toHaveLength(1);
    expect(parts[0]).toEqual(expect.objectContaining({ length: 10, finished: false }));
    expect(parts[0].bytes).toEqual([...bytes(9)]);
    await new Promise<void>((done) => writer.end(done));
    expect(parts[0]).toEqual(expect.objectContaining({ bytes: [...bytes(10)], finished: true }));
    expect(writer.written).toEqual([{ target: { container: 'c', object: 'p0' }, etag: 'e0', size: 10 }]);
  });

  it('cuts a known size into parts with their lengths, each finished when full', async () => {
    const { parts, open } = recorder();
    const writer = new PartsWritable({ partSize: 4, totalSize: 10, holdLastByte: false, open, failureOf });
    await pipeline(Readable.from([bytes(3), bytes(3, 3), bytes(3, 6), bytes(1, 9)]), writer);
    expect(parts.map((part) => [part.length, part.bytes.length, part.finished])).toEqual([
      [4, 4, true],
      [4, 4, true],
      [2, 2, true],
    ]);
    expect(parts.flatMap((part) => part.bytes)).toEqual([...bytes(10)]);
    expect(writer.written.map((part) => part.size)).toEqual([4, 4, 2]);
  });

  it('sends parts of unknown length chunked, and opens none for an empty source', async () => {
    const { parts, open } = recorder();
    await pipeline(Readable.from([bytes(10)]), new PartsWritable({ partSize: 4, holdLastByte: false, open, failureOf }));
    expect(parts.map((part) => [part.length, part.bytes.length])).toEqual([
      [undefined, 4],
      [undefined, 4],
      [undefined, 2],
    ]);
    const empty = recorder();
    await pipeline(Readable.from([]), new PartsWritable({ partSize: 4, holdLastByte: false, open: empty.open, failureOf }));
    expect(empty.parts).toEqual([]);
  });

  it('aborts the open part when the source fails, and lists every part begun', async () => {
    const { parts, open } = recorder();
    const writer = new PartsWritable({ partSize: 4, holdLastByte: false, open, failureOf });
    const source = new Readable({ read: () => undefined });
    source.push(bytes(6));
    setImmediate(() => source.destroy(new Error('client went away')));
    await expect(pipeline(source, writer)).rejects.toThrow('client went away');
    expect(parts.map((part) => [part.finished, part.aborted])).toEqual([
      [true, false],
      [false, true],
    ]);
    expect(writer.started.map((target) => target.object)).toEqual(['p0', 'p1']);
  });
});
