import type { Request } from 'express';
import { PassThrough, type Readable } from 'node:stream';

/** How long a failed upload's unread body is read and thrown away before the socket is cut. */
const DRAIN_MS = 10_000;

/**
 * Runs `consume` on the request body through a stream of its own, so that a store giving up
 * midway (full, denied, too large) destroys that stream and not the request. Destroying the
 * request would leave its socket paused with the rest of the body unread: a keep-alive client
 * that then reuses the connection waits forever. Instead the rest of the body is read and thrown
 * away (for DRAIN_MS at most), so the client reads the error and can reuse the connection.
 */
export async function consumeBody<T>(req: Request, consume: (body: Readable) => Promise<T>): Promise<T> {
  const body = new PassThrough({ highWaterMark: 1024 * 1024 });
  const aborted = () => {
    if (!req.complete) body.destroy(Object.assign(new Error('The client closed the connection'), { code: 'ECONNRESET' }));
  };
  req.once('close', aborted);
  req.once('error', aborted);
  req.pipe(body);
  try {
    return await consume(body);
  } catch (error) {
    if (!req.readableEnded && !req.destroyed) drain(req);
    throw error;
  } finally {
    req.off('close', aborted);
    req.off('error', aborted);
  }
}

function drain(req: Request): void {
  req.unpipe();
  const cut = setTimeout(() => req.destroy(), DRAIN_MS);
  cut.unref();
  req.once('end', () => clearTimeout(cut));
  req.resume();
}
