import type { Response } from 'express';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { type AddressInfo } from 'node:net';
import { request as httpRequest, createServer, Agent, type IncomingMessage, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { open } from 'node:fs/promises';
import { sendFileRange, sendGrowingFile } from './zero-copy';

const MIB = 1024 * 1024;

interface Outcome {
  sent: boolean;
  /** res.end() was called: false when the response was destroyed instead. */
  ended: boolean;
}

/** What sendFileRange settled with on the server, in order, awaited as the server records them. */
class Outcomes {
  private readonly settled: Outcome[] = [];
  private readonly waiting: ((outcome: Outcome) => void)[] = [];

  record(outcome: Outcome): void {
    const waiter = this.waiting.shift();
    if (waiter) waiter(outcome);
    else this.settled.push(outcome);
  }

  next(): Promise<Outcome> {
    const outcome = this.settled.shift();
    return outcome ? Promise.resolve(outcome) : new Promise((resolve) => this.waiting.push(resolve));
  }
}

interface Answer {
  status: number;
  body: Buffer;
  /** The connection closed before Content-Length bytes came. */
  aborted: boolean;
  reusedSocket: boolean;
}

/**
 * A plain HTTP server whose every request is a file range: ?file=, ?start=, ?end=, and ?length=
 * for a Content-Length that disagrees with the range. Each outcome of sendFileRange is recorded;
 * the fast path not being taken answers 500, so that no test passes through a fallback.
 */
function fileServer(dir: string, outcomes: Outcomes): Server {
  return createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const start = Number(url.searchParams.get('start'));
    const end = Number(url.searchParams.get('end'));
    res.statusCode = 206;
    res.setHeader('Content-Type', 'application/octet-stream');
    res.setHeader('Content-Length', url.searchParams.get('length') ?? String(end - start + 1));
    const path = join(dir, url.searchParams.get('file') ?? 'image');
    const sending = url.searchParams.has('growing')
      ? sendGrowingFile(res as unknown as Response, () => open(path, 'r'), start, end, growth(Number(url.searchParams.get('growing')), url.searchParams.get('failAt')))
      : sendFileRange(res as unknown as Response, path, start, end);
    sending.then(
      (sent) => {
        outcomes.record({ sent, ended: res.writableEnded });
        if (!sent) res.removeHeader('Content-Length');
        if (!sent) res.writeHead(500).end();
      },
      () => outcomes.record({ sent: false, ended: res.writableEnded }),
    );
  });
}

/**
 * A file that grows by `step` bytes every 2 ms, as a cache fill's does (the bytes are on disk
 * already; only what may be sent grows), and fails once `failAt` bytes may be sent.
 */
function growth(step: number, failAt: string | null): (position: number) => Promise<number> {
  let limit = 0;
  return async (position) => {
    while (limit <= position) {
      await new Promise((resolve) => setTimeout(resolve, 2));
      limit += step;
      if (failAt !== null && limit >= Number(failAt)) throw new Error('the fill failed');
    }
    return limit;
  };
}

describe('sendFileRange', () => {
  let dir: string;
  let bytes: Buffer;
  let server: Server;
  let base: string;
  let outcomes: Outcomes;

  function get(query: string, options: { agent?: Agent; readUpTo?: number } = {}): Promise<Answer> {
    return new Promise((resolve, reject) => {
      const req = httpRequest(`${base}/?${query}`, { agent: options.agent ?? false }, (res: IncomingMessage) => {
        const chunks: Buffer[] = [];
        let received = 0;
        const answer = (aborted: boolean) =>
          resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks), aborted, reusedSocket: req.reusedSocket });
        res.on('data', (chunk: Buffer) => {
          chunks.push(chunk);
          received += chunk.length;
          if (options.readUpTo !== undefined && received >= options.readUpTo) {
            req.destroy();
            answer(true);
          }
        });
        res.on('end', () => answer(!res.complete));
        res.on('aborted', () => answer(true));
        res.on('error', () => answer(true));
      });
      req.on('error', reject);
      req.end();
    });
  }

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'glimpse-zero-copy-'));
    bytes = randomBytes(5 * MIB + 123);
    writeFileSync(join(dir, 'image'), bytes);
    // Far more than loopback's socket buffers hold, so that a client leaving does so midway.
    writeFileSync(join(dir, 'large'), '');
    truncateSync(join(dir, 'large'), 256 * MIB);
    server = fileServer(dir, (outcomes = new Outcomes()));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    rmSync(dir, { recursive: true, force: true });
  });

  it('sends the whole file byte for byte', async () => {
    const answer = await get(`start=0&end=${bytes.length - 1}`);
    expect(answer.status).toBe(206);
    expect(answer.aborted).toBe(false);
    expect(answer.body.equals(bytes)).toBe(true);
    expect(await outcomes.next()).toEqual({ sent: true, ended: true });
  });

  it('sends a range that starts and ends inside the file', async () => {
    const start = 1000;
    const end = 3 * MIB + 17;
    const answer = await get(`start=${start}&end=${end}`);
    expect(answer.body.equals(bytes.subarray(start, end + 1))).toBe(true);
    expect(await outcomes.next()).toEqual({ sent: true, ended: true });
  });

  it('keeps the connection alive for the next request', async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const first = await get(`start=0&end=${bytes.length - 1}`, { agent });
      const second = await get('start=17&end=4096', { agent });
      expect(first.body.equals(bytes)).toBe(true);
      expect(second.body.equals(bytes.subarray(17, 4097))).toBe(true);
      expect(second.reusedSocket).toBe(true);
      expect([await outcomes.next(), await outcomes.next()]).toEqual([
        { sent: true, ended: true },
        { sent: true, ended: true },
      ]);
    } finally {
      agent.destroy();
    }
  });

  it('destroys the socket when the client leaves midway, and goes on serving', async () => {
    const left = await get(`file=large&start=0&end=${256 * MIB - 1}`, { readUpTo: MIB });
    expect(left.aborted).toBe(true);
    expect(await outcomes.next()).toEqual({ sent: true, ended: false });
    const next = await get(`start=0&end=${bytes.length - 1}`);
    expect(next.body.equals(bytes)).toBe(true);
    expect(await outcomes.next()).toEqual({ sent: true, ended: true });
  });

  it('cuts the connection rather than end a body short when the file is shorter than promised', async () => {
    const answer = await get(`start=0&end=${bytes.length + MIB}&length=${bytes.length + MIB + 1}`);
    expect(answer.aborted).toBe(true);
    expect(answer.body.equals(bytes)).toBe(true);
    expect(await outcomes.next()).toEqual({ sent: true, ended: false });
  });

  it('leaves a third hit to the caller while two clients that read nothing hold their transfers', async () => {
    const stalled = await Promise.all(
      [1, 2].map(
        () =>
          new Promise<{ destroy(): void }>((resolve, reject) => {
            const req = httpRequest(`${base}/?file=large&start=0&end=${256 * MIB - 1}`, { agent: false }, (res) => {
              res.pause();
              resolve(req);
            });
            req.on('error', reject);
            req.end();
          }),
      ),
    );
    const third = await get('start=0&end=9');
    expect(third.status).toBe(500);
    expect(await outcomes.next()).toEqual({ sent: false, ended: false });
    stalled.forEach((req) => req.destroy());
    expect([await outcomes.next(), await outcomes.next()]).toEqual([
      { sent: true, ended: false },
      { sent: true, ended: false },
    ]);
    expect((await get('start=0&end=9')).body.equals(bytes.subarray(0, 10))).toBe(true);
    expect(await outcomes.next()).toEqual({ sent: true, ended: true });
  });

  it('sends nothing when the file cannot be opened, so that the caller answers', async () => {
    const answer = await get('file=missing&start=0&end=9');
    expect(answer.status).toBe(500);
    expect(await outcomes.next()).toEqual({ sent: false, ended: false });
  });

  it('follows a growing file to its end, sending each part as it becomes available', async () => {
    const answer = await get(`start=0&end=${bytes.length - 1}&growing=${MIB / 4}`);
    expect(answer.aborted).toBe(false);
    expect(answer.body.equals(bytes)).toBe(true);
    expect(await outcomes.next()).toEqual({ sent: true, ended: true });
  });

  it('cuts the response short of its length when the growing file fails', async () => {
    const answer = await get(`start=0&end=${bytes.length - 1}&growing=${MIB}&failAt=${3 * MIB}`);
    expect(answer.aborted).toBe(true);
    expect(answer.body.length).toBeLessThan(3 * MIB);
    expect(answer.body.equals(bytes.subarray(0, answer.body.length))).toBe(true);
    expect(await outcomes.next()).toEqual({ sent: true, ended: false });
  });
});
