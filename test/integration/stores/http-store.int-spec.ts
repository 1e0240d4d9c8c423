import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { HttpStore, RemoteUrlPolicy } from '@glimpse/stores';
import { bytesOf, describeStoreConformance, generated } from '../../support/store-conformance';

const MIB = 1024 * 1024;
const CHUNK = 64 * 1024;

/**
 * A web server on loopback that serves seeded objects the ways real ones do:
 *   /images/<name>        HEAD, GET, single byte ranges, 416
 *   /norange/<name>       ignores Range (always 200 with the whole body)
 *   /nohead/<name>        HEAD → 405
 *   /nolength/<name>      HEAD without Content-Length
 *   /redirect/<n>/<name>  a chain of n redirects (alternating 301 and 302) to /images/<name>
 *   /to?url=<url>         one 302 to any URL
 *   /loop                 302 to itself
 *   /slow                 never answers
 *   /stall/<bytes>        announces 1 MiB more than it sends, sends <bytes>, then nothing
 *   /truncated            announces 1 MiB, sends 1 KiB and closes the connection
 *   /error                503
 */
interface Served {
  method: string;
  url: string;
  host: string | undefined;
  range: string | undefined;
}

const objects = new Map<string, Buffer>();
const served: Served[] = [];
/** Emits 'body' (path, 'finished' | 'cut') when the server is done sending a body. */
const bodies = new EventEmitter();
let server: Server;
let other: Server;
let port: number;
let otherPort: number;

function listen(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<{ server: Server; port: number }> {
  const s = createServer(handler);
  return new Promise((done) => s.listen(0, '127.0.0.1', () => done({ server: s, port: (s.address() as AddressInfo).port })));
}

function parseRange(header: string | undefined, size: number): { start: number; end: number } | 'unsatisfiable' | null {
  const match = /^bytes=(\d+)-(\d*)$/.exec(header ?? '');
  if (!match) return null;
  const start = Number(match[1]);
  const end = match[2] === '' ? size - 1 : Math.min(Number(match[2]), size - 1);
  return start >= size || end < start ? 'unsatisfiable' : { start, end };
}

function send(req: IncomingMessage, res: ServerResponse, bytes: Buffer | undefined, how: { ranges?: boolean; head?: boolean; length?: boolean } = {}): void {
  const { ranges = true, head = true, length = true } = how;
  if (!bytes) return void res.writeHead(404, { 'content-type': 'text/plain' }).end('not here');
  if (req.method === 'HEAD' && !head) return void res.writeHead(405, { allow: 'GET' }).end();
  const range = ranges ? parseRange(req.headers.range, bytes.length) : null;
  if (range === 'unsatisfiable') return void res.writeHead(416, { 'content-range': `bytes */${bytes.length}` }).end();
  const body = range ? bytes.subarray(range.start, range.end + 1) : bytes;
  const headers: Record<string, string> = { 'content-type': 'application/octet-stream', 'accept-ranges': ranges ? 'bytes' : 'none' };
  if (range) headers['content-range'] = `bytes ${range.start}-${range.end}/${bytes.length}`;
  if (length) headers['content-length'] = String(body.length);
  else headers['transfer-encoding'] = 'chunked';
  res.writeHead(range ? 206 : 200, headers);
  if (req.method === 'HEAD') return void res.end();
  res.on('close', () => bodies.emit('body', req.url, res.writableFinished ? 'finished' : 'cut'));
  const pieces = function* () {
    for (let at = 0; at < body.length; at += CHUNK) yield body.subarray(at, at + CHUNK);
  };
  Readable.from(pieces()).pipe(res);
}

function handle(req: IncomingMessage, res: ServerResponse): void {
  served.push({ method: req.method ?? '', url: req.url ?? '', host: req.headers.host, range: req.headers.range });
  const url = new URL(req.url ?? '/', 'http://127.0.0.1');
  const [, kind, ...rest] = url.pathname.split('/');
  const name = rest.at(-1) ?? '';
  switch (kind) {
    case 'images':
      return send(req, res, objects.get(name));
    case 'norange':
      return send(req, res, objects.get(name), { ranges: false });
    case 'nohead':
      return send(req, res, objects.get(name), { head: false });
    case 'nolength':
      return send(req, res, objects.get(name), { length: false });
    case 'redirect': {
      const left = Number(rest[0]);
      const next = left <= 1 ? `/images/${name}` : `/redirect/${left - 1}/${name}`;
      return void res.writeHead(left % 2 === 0 ? 301 : 302, { location: next }).end();
    }
    case 'to':
      return void res.writeHead(302, { location: url.searchParams.get('url') ?? '/' }).end();
    case 'loop':
      return void res.writeHead(302, { location: '/loop' }).end();
    case 'slow':
      return;
    case 'stall': {
      const sent = Number(rest[0]);
      res.writeHead(200, { 'content-length': String(sent + MIB) });
      return void res.write(Buffer.alloc(sent, 1));
    }
    case 'truncated':
      res.writeHead(200, { 'content-length': String(1024 * 1024) });
      return void res.write(Buffer.alloc(1024, 1), () => res.destroy());
    case 'error':
      return void res.writeHead(503).end('down for maintenance');
    default:
      return void res.writeHead(404).end();
  }
}

beforeAll(async () => {
  ({ server, port } = await listen(handle));
  ({ server: other, port: otherPort } = await listen(handle));
});

afterAll(async () => {
  for (const s of [server, other]) {
    s.closeAllConnections();
    await new Promise((done) => s.close(done));
  }
});

const seed = async (name: string, bytes: Buffer, kind = 'images'): Promise<string> => {
  objects.set(name, bytes);
  return `http://127.0.0.1:${port}/${kind}/${name}`;
};

/** The loopback server is reachable only through its own host and port. */
const loopbackPolicy = () => new RemoteUrlPolicy({ allowedHosts: ['127.0.0.1'], allowedPorts: [port] });
const storeWith = (settings: ConstructorParameters<typeof HttpStore>[0] = {}) => new HttpStore({ timeoutMs: 2000, policy: loopbackPolicy(), ...settings });
const failureOf = (failure: string, message?: RegExp) => expect.objectContaining({ failure, ...(message ? { message: expect.stringMatching(message) } : {}) });
const read = async (store: HttpStore, location: string, range?: { start: number; end: number }) => bytesOf((await store.get(location, range)).stream);

describeStoreConformance('http', {
  open: async () => {
    const store = storeWith();
    await store.prepare();
    return store;
  },
  leftovers: async () => [],
  largeBytes: 0,
  seed: (name, bytes) => seed(name, bytes),
});

describe('http store against a live server', () => {
  const bytes = generated(256 * 1024 + 3).sliceOf(0, 256 * 1024 + 2);

  it('reads the whole object, its size from HEAD, and a range, over a 301/302 chain of maxRedirects', async () => {
    const store = storeWith();
    const name = randomUUID();
    await seed(name, bytes);
    const chained = `http://127.0.0.1:${port}/redirect/5/${name}`;
    expect(await store.size(chained)).toBe(bytes.length);
    const whole = await store.get(chained);
    expect(whole.size).toBe(bytes.length);
    expectBytes(await bytesOf(whole.stream), bytes);
    expectBytes(await read(store, chained, { start: 100, end: 199 }), bytes.subarray(100, 200));
    const hops = served.filter((s) => s.url.endsWith(name) && s.range === 'bytes=100-199');
    expect(hops.map((s) => s.url)).toEqual([5, 4, 3, 2, 1].map((n) => `/redirect/${n}/${name}`).concat(`/images/${name}`));
  });

  it('fails with unavailable after more than maxRedirects redirects, and on a redirect loop', async () => {
    const store = storeWith({ maxRedirects: 2 });
    const name = randomUUID();
    await seed(name, bytes);
    expect(await store.size(`http://127.0.0.1:${port}/redirect/2/${name}`)).toBe(bytes.length);
    await expect(store.get(`http://127.0.0.1:${port}/redirect/3/${name}`)).rejects.toEqual(failureOf('unavailable', /redirected more than 2 times/));
    await expect(storeWith().size(`http://127.0.0.1:${port}/loop`)).rejects.toEqual(failureOf('unavailable', /redirected more than 5 times/));
    expect(served.filter((s) => s.url === '/loop')).toHaveLength(6);
  });

  it('checks every redirect hop: another port, or localhost when loopback is not allowed, is refused there', async () => {
    const name = randomUUID();
    await seed(name, bytes);
    const before = served.length;
    const toOtherPort = `http://127.0.0.1:${port}/to?url=${encodeURIComponent(`http://127.0.0.1:${otherPort}/images/${name}`)}`;
    await expect(storeWith().get(toOtherPort)).rejects.toEqual(failureOf('forbidden_url', new RegExp(`port ${otherPort} is not allowed`)));
    const toLocalhost = `http://127.0.0.1:${port}/to?url=${encodeURIComponent(`http://localhost:${port}/images/${name}`)}`;
    await expect(storeWith().get(toLocalhost)).rejects.toEqual(failureOf('forbidden_url', /host localhost is not allowed/));
    // Trusting only this one address literal, but not loopback in general:
    const addressOnly = new HttpStore({ timeoutMs: 2000, policy: new RemoteUrlPolicy({ allowedPorts: [port], allowedHosts: [] }) });
    await expect(addressOnly.get(`http://127.0.0.1:${port}/images/${name}`)).rejects.toEqual(failureOf('forbidden_url', /loopback/));
    // The refused hops were never requested: only the two first hops reached a server.
    expect(served.slice(before).map((s) => s.url.split('?')[0])).toEqual(['/to', '/to']);
  });

  it('refuses a redirect to a scheme other than http and https, even without a policy', async () => {
    const location = `http://127.0.0.1:${port}/to?url=${encodeURIComponent('file:///etc/passwd')}`;
    await expect(new HttpStore({ timeoutMs: 2000 }).get(location)).rejects.toEqual(failureOf('invalid_location', /file: URL/));
  });

  it('follows a redirect the policy allows to the other server', async () => {
    const name = randomUUID();
    await seed(name, bytes);
    const store = new HttpStore({ timeoutMs: 2000, policy: new RemoteUrlPolicy({ allowedHosts: ['127.0.0.1'], allowedPorts: [port, otherPort] }) });
    const location = `http://127.0.0.1:${port}/to?url=${encodeURIComponent(`http://127.0.0.1:${otherPort}/images/${name}`)}`;
    expectBytes(await read(store, location), bytes);
  });

  it('refuses, under the default policy, loopback, link-local and localhost before connecting', async () => {
    const store = new HttpStore({ timeoutMs: 2000, policy: new RemoteUrlPolicy() });
    const before = served.length;
    await expect(store.get(`http://127.0.0.1:${port}/images/x`)).rejects.toEqual(failureOf('forbidden_url', new RegExp(`port ${port}`)));
    const portOpen = new HttpStore({ timeoutMs: 2000, policy: new RemoteUrlPolicy({ allowedPorts: [port] }) });
    await expect(portOpen.get(`http://127.0.0.1:${port}/images/x`)).rejects.toEqual(failureOf('forbidden_url', /127\.0\.0\.1, a loopback/));
    await expect(store.get('http://[::1]/x')).rejects.toEqual(failureOf('forbidden_url', /::1, a loopback/));
    await expect(store.size('http://169.254.169.254/latest/meta-data')).rejects.toEqual(failureOf('forbidden_url', /link-local/));
    await expect(store.get('http://localhost/')).rejects.toEqual(failureOf('forbidden_url', /localhost resolves to .*loopback/));
    await expect(store.get('http://2130706433/')).rejects.toEqual(failureOf('forbidden_url', /loopback/));
    expect(served.length).toBe(before);
  });

  it('connects to the checked address, not to what DNS might answer later', async () => {
    const name = randomUUID();
    await seed(name, bytes);
    // images.glimpse.test exists only in this resolver: the connection must use its answer.
    const policy = new RemoteUrlPolicy({ allowedHosts: ['images.glimpse.test'], allowedPorts: [port] }, async () => [{ address: '127.0.0.1', family: 4 }]);
    const store = new HttpStore({ timeoutMs: 2000, policy });
    expectBytes(await read(store, `http://images.glimpse.test:${port}/images/${name}`), bytes);
    expect(served.at(-1)).toEqual(expect.objectContaining({ host: `images.glimpse.test:${port}`, url: `/images/${name}` }));
  });

  it('gives the right bytes when the server answers 200 to a Range request, and stops reading after the range', async () => {
    const store = storeWith();
    const small = randomUUID();
    await seed(small, bytes);
    const location = `http://127.0.0.1:${port}/norange/${small}`;
    const part = await store.get(location, { start: 1000, end: 70_000 });
    expect(part.size).toBe(bytes.length);
    expectBytes(await bytesOf(part.stream), bytes.subarray(1000, 70_001));
    expectBytes(await read(store, location, { start: bytes.length - 5, end: bytes.length + 100 }), bytes.subarray(bytes.length - 5));

    const large = randomUUID();
    const big = Buffer.alloc(64 * MIB, 7);
    big.write('head', 0);
    await seed(large, big);
    const outcome = outcomeOf(`/norange/${large}`);
    const head = await read(store, `http://127.0.0.1:${port}/norange/${large}`, { start: 0, end: 3 });
    expect(head.toString()).toBe('head');
    expect(await outcome).toBe('cut');
  });

  it('finds the size when HEAD is refused or has no Content-Length, empty objects too', async () => {
    const store = storeWith();
    const name = randomUUID();
    await seed(name, bytes);
    expect(await store.size(`http://127.0.0.1:${port}/nohead/${name}`)).toBe(bytes.length);
    expect(await store.size(`http://127.0.0.1:${port}/nolength/${name}`)).toBe(bytes.length);
    const asked = (kind: string) => served.filter((s) => s.url === `/${kind}/${name}`).map((s) => `${s.method} ${s.range ?? '-'}`);
    expect([asked('nohead'), asked('nolength')]).toEqual([
      ['HEAD -', 'GET bytes=0-0'],
      ['HEAD -', 'GET bytes=0-0'],
    ]);
    const empty = randomUUID();
    await seed(empty, Buffer.alloc(0));
    expect(await store.size(`http://127.0.0.1:${port}/images/${empty}`)).toBe(0);
    expect(await store.size(`http://127.0.0.1:${port}/nohead/${empty}`)).toBe(0);
    const got = await store.get(`http://127.0.0.1:${port}/images/${empty}`);
    expect(got.size).toBe(0);
    expect(await bytesOf(got.stream)).toEqual(Buffer.alloc(0));
  });

  it('times out with unavailable within about the timeout, waiting for an answer or for the body', async () => {
    const store = storeWith({ timeoutMs: 300 });
    const started = Date.now();
    await expect(store.get(`http://127.0.0.1:${port}/slow`)).rejects.toEqual(failureOf('unavailable', /sent nothing for 300 ms/));
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    expect(Date.now() - started).toBeLessThan(1500);
    const stalled = await store.get(`http://127.0.0.1:${port}/stall/1024`);
    const reading = Date.now();
    await expect(bytesOf(stalled.stream)).rejects.toEqual(failureOf('unavailable', /sent nothing for 300 ms/));
    expect(Date.now() - reading).toBeLessThan(1500);
  });

  it('does not blame the server for a slow reader, and still notices a stall afterwards', async () => {
    const store = storeWith({ timeoutMs: 300 });
    const { stream } = await store.get(`http://127.0.0.1:${port}/stall/${4 * MIB}`);
    // The reader is busy for longer than the timeout (a slow client downstream): this wait is the case under test.
    await new Promise((done) => setTimeout(done, 800));
    let received = 0;
    const reading = (async () => {
      for await (const chunk of stream) received += (chunk as Buffer).length;
    })();
    await expect(reading).rejects.toEqual(failureOf('unavailable', /sent nothing for 300 ms/));
    expect(received).toBe(4 * MIB);
  });

  it('fails the stream with unavailable when the body breaks off', async () => {
    const broken = await storeWith().get(`http://127.0.0.1:${port}/truncated`);
    expect(broken.size).toBe(1024 * 1024);
    await expect(bytesOf(broken.stream)).rejects.toEqual(failureOf('unavailable'));
  });

  it('maps 404 to not_found, 503 and a refused connection to unavailable', async () => {
    const store = storeWith();
    await expect(store.size(`http://127.0.0.1:${port}/images/${randomUUID()}`)).rejects.toEqual(failureOf('not_found'));
    await expect(store.get(`http://127.0.0.1:${port}/redirect/2/${randomUUID()}`)).rejects.toEqual(failureOf('not_found'));
    await expect(store.get(`http://127.0.0.1:${port}/error`)).rejects.toEqual(failureOf('unavailable', /HTTP 503/));
    await expect(store.size(`http://127.0.0.1:${port}/error`)).rejects.toEqual(failureOf('unavailable', /HTTP 503/));
    const { server: gone, port: gonePort } = await listen(handle);
    await new Promise((done) => gone.close(done));
    const unguarded = new HttpStore({ timeoutMs: 2000 });
    await expect(unguarded.get(`http://127.0.0.1:${gonePort}/images/x`)).rejects.toEqual(failureOf('unavailable', /ECONNREFUSED/));
  });

  it('is read-only against a live server too', async () => {
    const store = storeWith();
    const location = await seed(randomUUID(), bytes);
    await expect(store.delete(location)).rejects.toEqual(failureOf('add_disabled'));
    expect(await store.size(location)).toBe(bytes.length);
  });
});

/** Byte equality without jest's element-wise diff, which takes a second per 256 KiB. */
function expectBytes(actual: Buffer, expected: Buffer): void {
  expect({ length: actual.length, same: actual.equals(expected) }).toEqual({ length: expected.length, same: true });
}

/** How the server's body for `path` ended: sent completely, or cut off by the client. */
function outcomeOf(path: string): Promise<'finished' | 'cut'> {
  return new Promise((done) => {
    const listener = (url: string, outcome: 'finished' | 'cut') => {
      if (url !== path) return;
      bodies.off('body', listener);
      done(outcome);
    };
    bodies.on('body', listener);
  });
}
