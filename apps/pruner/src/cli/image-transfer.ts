import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { rename, stat, unlink } from 'node:fs/promises';
import { type IncomingMessage, request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ProgressBoard } from './progress-board';

/** The Images API (or a cache agent, which serves the same download route) and how to call it. */
export interface ApiTarget {
  url: string;
  headers: Record<string, string>;
}

export interface UploadOptions {
  /** Upload into this queued image instead of creating one. */
  id?: string;
  name?: string;
  diskFormat: string;
  containerFormat: string;
  /** X-Image-Meta-Store (multi-store). */
  store?: string;
}

export class TransferError extends Error {}

/** Creates the image (unless given one), streams the file into it, and checks the checksum the API computed. */
export async function uploadFile(api: ApiTarget, file: string, options: UploadOptions, board: ProgressBoard): Promise<{ id: string; checksum: string; size: number }> {
  const { size } = await stat(file);
  const id = options.id ?? (await createImage(api, options));
  const md5 = createHash('md5');
  const source = createReadStream(file, { highWaterMark: 1024 * 1024 });
  let sent = 0;
  source.on('data', (data: Buffer | string) => {
    const chunk = typeof data === 'string' ? Buffer.from(data) : data;
    md5.update(chunk);
    sent += chunk.length;
    board.update(id, `upload ${id}`, sent, size);
  });
  const headers: Record<string, string> = { 'Content-Type': 'application/octet-stream', 'Content-Length': String(size) };
  if (options.store) headers['X-Image-Meta-Store'] = options.store;
  const res = await call(api, 'PUT', `/v2/images/${id}/file`, headers, source);
  if (res.statusCode !== 204) throw new TransferError(`upload of ${file} into ${id} failed: ${await failure(res)}`);
  res.resume();
  board.finish(id);
  const image = JSON.parse(await text(await call(api, 'GET', `/v2/images/${id}`, {}))) as { checksum?: string; size?: number };
  const local = md5.digest('hex');
  if (image.checksum !== local) throw new TransferError(`image ${id} has checksum ${image.checksum}, the file ${local}`);
  return { id, checksum: local, size };
}

/** Streams the image's data into `file` (through a temporary file), checked against Content-MD5. */
export async function downloadFile(api: ApiTarget, id: string, file: string, board: ProgressBoard): Promise<{ size: number; checksum: string }> {
  const res = await call(api, 'GET', `/v2/images/${id}/file`, {});
  if (res.statusCode === 204) throw new TransferError(`image ${id} has no data`);
  if (res.statusCode !== 200) throw new TransferError(`download of ${id} failed: ${await failure(res)}`);
  const total = Number(res.headers['content-length'] ?? NaN);
  const md5 = createHash('md5');
  let received = 0;
  res.on('data', (chunk: Buffer) => {
    md5.update(chunk);
    received += chunk.length;
    board.update(id, `download ${id}`, received, Number.isFinite(total) ? total : null);
  });
  const partial = `${file}.${process.pid}.part`;
  try {
    await pipeline(res, createWriteStream(partial));
    const checksum = md5.digest('hex');
    const expected = res.headers['content-md5'];
    if (Number.isFinite(total) && received !== total) throw new TransferError(`download of ${id} ended after ${received} of ${total} bytes`);
    if (typeof expected === 'string' && expected !== checksum) throw new TransferError(`download of ${id} has checksum ${checksum}, the image ${expected}`);
    await rename(partial, file);
    board.finish(id);
    return { size: received, checksum };
  } catch (error) {
    await unlink(partial).catch(() => undefined);
    throw error;
  }
}

async function createImage(api: ApiTarget, options: UploadOptions): Promise<string> {
  const body = JSON.stringify({ name: options.name, disk_format: options.diskFormat, container_format: options.containerFormat });
  const res = await call(api, 'POST', '/v2/images', { 'Content-Type': 'application/json', 'Content-Length': String(Buffer.byteLength(body)) }, body);
  if (res.statusCode !== 201) throw new TransferError(`creating the image failed: ${await failure(res)}`);
  return (JSON.parse(await text(res)) as { id: string }).id;
}

function call(api: ApiTarget, method: string, path: string, headers: Record<string, string>, body?: Readable | string): Promise<IncomingMessage> {
  const url = new URL(path, api.url.endsWith('/') ? api.url : `${api.url}/`);
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = send(url, { method, headers: { Accept: 'application/json', ...api.headers, ...headers } }, resolve);
    req.on('error', (error) => reject(new TransferError(`${method} ${url.href}: ${error.message}`)));
    if (body === undefined || typeof body === 'string') req.end(body);
    else body.on('error', reject).pipe(req);
  });
}

async function text(res: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of res) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString();
}

/** The status and the message of an error body (JSON, as the CLI asks for). */
async function failure(res: IncomingMessage): Promise<string> {
  const body = await text(res);
  try {
    return `${res.statusCode} ${(JSON.parse(body) as { message?: string }).message ?? body}`;
  } catch {
    return `${res.statusCode} ${body.trim().slice(0, 300)}`;
  }
}
