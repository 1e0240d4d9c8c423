import { type ClientRequest, type IncomingMessage, type OutgoingHttpHeaders, request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { GlimpseError } from '@glimpse/contracts';
import { StoreError } from '../store.errors';

/** How long Swift may take to answer a request's headers (not to stream a body). */
const RESPONSE_TIMEOUT_MS = 60_000;
const ERROR_TEXT_LIMIT = 512;

/** Whether a refused request was reading or writing: Glance answers a refused write differently. */
export type Access = 'read' | 'write';

/** The StoreError for a Swift status that is not a success; `what` names the object, never a credential. */
export function storeErrorOfStatus(status: number, access: Access, what: string, detail = ''): Error {
  const suffix = detail ? `: ${detail}` : '';
  switch (status) {
    case 404:
      return new StoreError('not_found', `Swift could not find ${what}`);
    case 401:
    case 403:
      return access === 'write'
        ? new StoreError('write_denied', `Swift refused to write ${what} (HTTP ${status})${suffix}`)
        : new StoreError('unavailable', `Swift refused to read ${what} (HTTP ${status})${suffix}`);
    case 412:
      return duplicateError(what);
    case 413:
      return new StoreError('store_full', `Swift has no room for ${what} (HTTP 413)${suffix}`);
    case 416:
      return new GlimpseError('range_not_satisfiable', `The requested range is not satisfiable for ${what}`);
    default:
      return new StoreError('unavailable', `Swift answered HTTP ${status} for ${what}${suffix}`);
  }
}

/** glance_store's Duplicate: an image's data is never overwritten. */
export function duplicateError(what: string): StoreError {
  return new StoreError('duplicate', `Image data already exists at ${what} in the Swift store`);
}

/** The StoreError for a response that is not a success, with the start of Swift's explanation. */
export async function failureOf(response: IncomingMessage, access: Access, what: string): Promise<Error> {
  const text = await textOf(response, ERROR_TEXT_LIMIT);
  const detail = response.statusCode === 404 ? '' : text.replace(/<[^>]*>/g, ' ').replace(/\s+/g, ' ').trim();
  return storeErrorOfStatus(response.statusCode ?? 0, access, what, detail);
}

/** Reads a small response body (a listing, a token, an error page) as text. */
export async function textOf(response: IncomingMessage, limit = Infinity): Promise<string> {
  let text = '';
  for await (const chunk of response) {
    if (text.length < limit) text += (chunk as Buffer).toString('utf8');
  }
  return text.length > limit ? text.slice(0, limit) : text;
}

/** Throws a response's body away, so its connection can serve the next request. */
export function discard(response: IncomingMessage): void {
  response.on('error', () => undefined);
  response.resume();
}

/** One request with a small or empty body; resolves with the response headers, its body unread. */
export function send(method: string, url: string, headers: OutgoingHttpHeaders, body?: Buffer): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const req = requestOf(method, url, body ? { ...headers, 'Content-Length': body.length } : headers);
    req.setTimeout(RESPONSE_TIMEOUT_MS, () => req.destroy(timeoutOf(url)));
    req.on('error', (error) => reject(unreachable(url, error)));
    req.once('response', (response) => {
      req.setTimeout(0);
      resolve(response);
    });
    req.end(body);
  });
}

/** A PUT whose body Swift has asked for (100 Continue). */
export interface BodyWriter {
  /** Resolves when Swift can take more; rejects when the request failed. */
  write(chunk: Buffer): Promise<void>;
  /** Ends the body and resolves with Swift's answer. */
  finish(): Promise<IncomingMessage>;
  abort(): void;
}

/** Either Swift asked for the body, or it answered at once (401, 404, 412, …) and nothing was sent. */
export type PutStart = { body: BodyWriter } | { refused: IncomingMessage };

/**
 * Sends a streamed PUT's headers with `Expect: 100-continue`: Swift checks the token, the container
 * and If-None-Match before any byte of the body is read, so a refused PUT can be repeated with the
 * same, still unread, source.
 */
export async function startPut(url: string, headers: OutgoingHttpHeaders, what: string): Promise<PutStart> {
  const put = new PutRequest(requestOf('PUT', url, { ...headers, Expect: '100-continue' }), url, what);
  const refused = await put.continued();
  return refused ? { refused } : { body: put };
}

class PutRequest implements BodyWriter {
  private readonly response: Promise<IncomingMessage>;
  private failure: Error | null = null;
  private ended = false;

  constructor(
    private readonly req: ClientRequest,
    url: string,
    what: string,
  ) {
    this.response = new Promise((resolve, reject) => {
      req.once('response', (response) => {
        req.setTimeout(0);
        if (!this.ended && (response.statusCode ?? 0) >= 300) this.failure ??= storeErrorOfStatus(response.statusCode ?? 0, 'write', what);
        resolve(response);
      });
      req.on('error', (error) => {
        this.failure ??= unreachable(url, error);
        reject(this.failure);
      });
    });
    this.response.catch(() => undefined);
    req.on('close', () => {
      if (!this.ended) this.failure ??= new StoreError('unavailable', `Swift closed the connection while ${what} was written`);
    });
    req.setTimeout(RESPONSE_TIMEOUT_MS, () => req.destroy(timeoutOf(url)));
    req.flushHeaders();
  }

  /** Resolves with null on 100 Continue, or with Swift's early answer (then the request is dropped once it is read). */
  continued(): Promise<IncomingMessage | null> {
    return new Promise((resolve, reject) => {
      let continued = false;
      this.req.once('continue', () => {
        continued = true;
        this.req.setTimeout(0);
        resolve(null);
      });
      this.response.then((response) => {
        if (continued) return;
        response.once('end', () => this.req.destroy());
        resolve(response);
      }, reject);
    });
  }

  async write(chunk: Buffer): Promise<void> {
    if (this.failure) throw this.failure;
    if (this.req.write(chunk)) return;
    await new Promise<void>((resolve, reject) => {
      const settle = () => {
        this.req.off('drain', settle);
        this.req.off('close', settle);
        if (this.failure) reject(this.failure);
        else resolve();
      };
      this.req.on('drain', settle);
      this.req.on('close', settle);
    });
  }

  finish(): Promise<IncomingMessage> {
    if (this.failure) return Promise.reject(this.failure);
    this.ended = true;
    this.req.setTimeout(RESPONSE_TIMEOUT_MS);
    this.req.end();
    return this.response;
  }

  abort(): void {
    this.ended = true;
    this.req.destroy();
  }
}

function requestOf(method: string, url: string, headers: OutgoingHttpHeaders): ClientRequest {
  const request = url.startsWith('https:') ? httpsRequest : httpRequest;
  return request(url, { method, headers });
}

function unreachable(url: string, error: Error): Error {
  if (error instanceof GlimpseError) return error;
  const code = (error as NodeJS.ErrnoException).code ?? error.message;
  return new StoreError('unavailable', `Swift at ${new URL(url).origin} is unreachable: ${code}`);
}

function timeoutOf(url: string): StoreError {
  return new StoreError('unavailable', `Swift at ${new URL(url).origin} did not answer within ${RESPONSE_TIMEOUT_MS / 1000} s`);
}
