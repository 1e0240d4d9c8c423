import { Logger } from '@nestjs/common';
import type { Response } from 'express';
import { type FileHandle, open } from 'node:fs/promises';
import type { Socket } from 'node:net';
import { TLSSocket } from 'node:tls';

type Sendfile = (socketFd: number, fileFd: number, offset: number, length: number) => Promise<number>;

/**
 * Transfers at once. Each holds one of libuv's four pool threads for as long as its client takes
 * to read (minutes for a slow one); the others stay for the file system and the cache fills, and
 * further hits are copied by streams.
 */
const MAX_TRANSFERS = 2;

const logger = new Logger('ZeroCopy');
const EMPTY = Buffer.alloc(0);
let addon: Sendfile | null | undefined;
let transfers = 0;

/** The native sendfile(2), or null (warned once) when its build is missing. */
function loadSendfile(): Sendfile | null {
  if (addon === undefined) {
    try {
      // A run-time require: node_modules stay outside the bundle, and a missing build only turns the fast path off.
      addon = (require('@glimpse/sendfile') as { sendfile: Sendfile }).sendfile;
    } catch (error) {
      addon = null;
      logger.warn(`cache hits are copied through user space, sendfile(2) is not available: ${(error as Error).message}`);
    }
  }
  return addon;
}

/** The descriptor of a plain TCP socket this response owns; TLS and anything else have none. */
function socketFd(res: Response): number | null {
  const socket = res.socket;
  if (!socket || socket instanceof TLSSocket || socket.destroyed || !socket.writable) return null;
  if ((socket as Socket & { _httpMessage?: unknown })._httpMessage !== res) return null;
  const fd = (socket as Socket & { _handle?: { fd?: unknown } | null })._handle?.fd;
  return typeof fd === 'number' && fd > 0 ? fd : null;
}

/** Resolves once everything written to the socket so far is in the kernel: a write's callback comes after those before it. */
function flushed(socket: Socket): Promise<void> {
  if (socket.writableLength === 0) return Promise.resolve();
  return new Promise((resolve, reject) => socket.write(EMPTY, (error) => (error ? reject(error) : resolve())));
}

/**
 * Sends bytes [start, end] of a file as the body of `res`, whose status and headers (with
 * Content-Length) are set but not sent, straight from the page cache to the socket with
 * sendfile(2). False when nothing was sent because the fast path cannot be taken (no addon, a TLS
 * socket, too many transfers, the file cannot be opened): the caller then streams the body. True
 * when the response is done: ended whole, or its socket destroyed when the transfer failed midway.
 */
export function sendFileRange(res: Response, path: string, start: number, end: number): Promise<boolean> {
  return sendGrowingFile(res, () => open(path, 'r'), start, end, async () => end + 1);
}

/**
 * The same for a file still being written: `available(position)` resolves with how far the file
 * may be sent once that is beyond `position` (and rejects when it never will be, which cuts the
 * response), so every reader of a cache fill gets its bytes without copying them.
 */
export async function sendGrowingFile(
  res: Response,
  openFile: () => Promise<FileHandle>,
  start: number,
  end: number,
  available: (position: number) => Promise<number>,
): Promise<boolean> {
  const sendfile = loadSendfile();
  if (!sendfile || transfers >= MAX_TRANSFERS || socketFd(res) === null) return false;
  transfers++;
  try {
    const file = await openFile().catch(() => null);
    if (!file) return false;
    try {
      res.flushHeaders();
      await flushed(res.socket as Socket);
      for (let position = start; position <= end; ) {
        const limit = Math.min(end + 1, await available(position));
        // Read again before every call: a socket Node has closed meanwhile no longer owns its number.
        const fd = socketFd(res);
        if (fd === null) throw new Error('the connection closed before the body was sent');
        await sendfile(fd, file.fd, position, limit - position);
        position = limit;
      }
      // The body went past Node: Content-Length is set, so end() writes nothing and keep-alive goes on.
      res.end();
    } catch {
      res.destroy();
    } finally {
      await file.close().catch(() => undefined);
    }
    return true;
  } finally {
    transfers--;
  }
}
