import { type ClientRequest, type IncomingMessage, type OutgoingHttpHeaders, request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { type Readable, Transform, type TransformCallback } from 'node:stream';
import type { ByteRange, ImageData, StoreDriver, StoredImage } from '../store.driver';
import { StoreError } from '../store.errors';
import { type RemoteUrlPolicy, describeUrl } from './remote-url-policy';

export interface HttpStoreSettings {
  /** Milliseconds to wait for a connection, for the answer, and for each piece of the body (http_store_timeout). */
  timeoutMs: number;
  /** Redirects followed for one request; one more is a failure (glance_store's MAX_REDIRECTS). */
  maxRedirects: number;
  /** Checked on the first URL and on every redirect hop; connections go to the checked addresses only. */
  policy?: RemoteUrlPolicy;
}

export const DEFAULT_HTTP_STORE_SETTINGS: Readonly<HttpStoreSettings> = Object.freeze({ timeoutMs: 60_000, maxRedirects: 5 });

/** Statuses whose Location is followed; glance_store follows only 301 and 302. */
const REDIRECT_STATUSES: ReadonlySet<number> = new Set([301, 302, 303, 307, 308]);

/** Statuses a HEAD may answer when the server does not do HEAD: the size is then asked with a GET. */
const HEAD_UNSUPPORTED: ReadonlySet<number> = new Set([405, 501]);

/** One request and its answer; `failure` is what ended it when the store itself ended it. */
interface Exchange {
  url: URL;
  request: ClientRequest;
  response: IncomingMessage;
  failure: { error?: StoreError };
}

/**
 * Images that live on some web server, read-only (Glance's http store). Redirects are followed
 * up to maxRedirects, each hop checked by the policy when there is one. A range is asked with a
 * Range header; a server that ignores it and answers 200 still gives the right bytes: the body is
 * read from the start, the bytes before the range are dropped and the connection is closed after
 * its end (correct, at the price of reading the prefix).
 */
export class HttpStore implements StoreDriver {
  readonly type = 'http';
  readonly capabilities = { read: true, write: false, randomAccess: true };
  readonly settings: Readonly<HttpStoreSettings>;

  constructor(settings: Partial<HttpStoreSettings> = {}) {
    this.settings = Object.freeze({ ...DEFAULT_HTTP_STORE_SETTINGS, ...settings });
  }

  async prepare(): Promise<void> {
    const { timeoutMs, maxRedirects } = this.settings;
    if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) throw new Error(`http_store_timeout must be positive, not ${timeoutMs / 1000}`);
    if (!Number.isInteger(maxRedirects) || maxRedirects < 0) throw new Error(`the http store's maxRedirects must be a count, not ${maxRedirects}`);
  }

  owns(location: string): boolean {
    try {
      urlOf(location);
      return true;
    } catch {
      return false;
    }
  }

  properties(): Record<string, unknown> {
    return {};
  }

  async add(): Promise<StoredImage> {
    throw new StoreError('add_disabled', 'The http store is read-only: adding images to it is disabled.');
  }

  /**
   * glance_store refuses a delete on a store without write access (StoreDeleteNotSupported, the
   * same capability check that makes add StoreAddDisabled); add_disabled is that failure here.
   */
  async delete(location: string): Promise<void> {
    urlOf(location);
    throw new StoreError('add_disabled', 'The http store is read-only: deleting images from it is not supported.');
  }

  /** Nothing to purge: the store never writes. */
  purgeUpload(): Promise<void> {
    return Promise.resolve();
  }

  /** Content-Length of a HEAD; when HEAD gives none, the total of a GET for the first byte. */
  async size(location: string): Promise<number> {
    const url = urlOf(location);
    const head = await this.follow('HEAD', url, {});
    discard(head);
    const headStatus = head.response.statusCode ?? 0;
    if (isSuccess(headStatus)) {
      const length = contentLengthOf(head.response);
      if (length !== null) return length;
    } else if (!HEAD_UNSUPPORTED.has(headStatus)) {
      throw statusFailure(headStatus, head.url);
    }

    const probe = await this.follow('GET', url, { range: 'bytes=0-0' });
    discard(probe);
    const status = probe.response.statusCode ?? 0;
    let size: number | null;
    if (status === 206) size = contentRangeOf(probe.response)?.size ?? null;
    else if (status === 416) size = unsatisfiedSizeOf(probe.response);
    else if (status === 200) size = contentLengthOf(probe.response);
    else throw statusFailure(status, probe.url);
    if (size === null) throw new StoreError('invalid_location', `${describeUrl(probe.url)} does not announce the size of its data.`);
    return size;
  }

  /** Streams the body, never buffering it; `size` is the size of the whole object. */
  async get(location: string, range?: ByteRange): Promise<ImageData> {
    const url = urlOf(location);
    if (range && (!Number.isSafeInteger(range.start) || !Number.isSafeInteger(range.end) || range.start < 0 || range.end < range.start)) {
      throw new StoreError('invalid_location', `Invalid byte range ${range.start}-${range.end}.`);
    }
    const exchange = await this.follow('GET', url, range ? { range: `bytes=${range.start}-${range.end}` } : {});
    try {
      const { response } = exchange;
      const shown = describeUrl(exchange.url);
      const status = response.statusCode ?? 0;
      if (status === 200) {
        const size = contentLengthOf(response);
        if (size === null) throw new StoreError('invalid_location', `${shown} does not announce the size of its data (no Content-Length).`);
        if (!range) return { stream: this.bodyOf(exchange, 0, size), size };
        if (range.start >= size) throw unsatisfiable(shown, range, size);
        // The server ignored the Range header: drop the bytes before the range, stop after it.
        const end = Math.min(range.end, size - 1);
        return { stream: this.bodyOf(exchange, range.start, end - range.start + 1), size };
      }
      if (status === 206 && range) {
        const answered = contentRangeOf(response);
        if (!answered || answered.start !== range.start) {
          throw new StoreError('unavailable', `${shown} answered a range request with a Content-Range that does not match it.`);
        }
        const size = answered.size ?? (await this.size(location));
        const end = Math.min(range.end, size - 1);
        if (answered.end < end) {
          throw new StoreError('unavailable', `${shown} sent bytes ${answered.start}-${answered.end} of the ${range.start}-${end} asked.`);
        }
        return { stream: this.bodyOf(exchange, 0, end - range.start + 1), size };
      }
      if (status === 416 && range) throw unsatisfiable(shown, range, unsatisfiedSizeOf(response));
      throw statusFailure(status, exchange.url);
    } catch (error) {
      discard(exchange);
      throw error;
    }
  }

  /** Sends the request and follows redirects, checking each URL against the policy first. */
  private async follow(method: 'GET' | 'HEAD', first: URL, headers: OutgoingHttpHeaders): Promise<Exchange> {
    let url = first;
    for (let redirects = 0; ; redirects++) {
      const exchange = await this.send(method, url, headers);
      const status = exchange.response.statusCode ?? 0;
      if (!REDIRECT_STATUSES.has(status)) return exchange;
      discard(exchange);
      const next = exchange.response.headers.location;
      if (!next) throw new StoreError('invalid_location', `${describeUrl(url)} answered ${status} without a Location.`);
      if (redirects >= this.settings.maxRedirects) {
        throw new StoreError('unavailable', `${describeUrl(first)} redirected more than ${this.settings.maxRedirects} times.`);
      }
      url = redirectTarget(next, url);
    }
  }

  private async send(method: 'GET' | 'HEAD', url: URL, headers: OutgoingHttpHeaders): Promise<Exchange> {
    const target = this.settings.policy ? await this.settings.policy.check(url.href) : null;
    const { timeoutMs } = this.settings;
    return new Promise((resolve, reject) => {
      const failure: Exchange['failure'] = {};
      const request = (url.protocol === 'https:' ? httpsRequest : httpRequest)(url, {
        method,
        headers: { 'accept-encoding': 'identity', ...headers },
        // One connection per request: a pooled socket would skip the checked lookup.
        agent: false,
        // Applied to the socket from its creation: covers connecting, waiting and every read.
        timeout: timeoutMs,
        ...(target ? { lookup: target.lookup } : {}),
      });
      let answer: IncomingMessage | undefined;
      // The socket's own event: the request relays only the first timeout of a socket.
      request.once('socket', (socket) => {
        socket.on('timeout', () => {
          // A body paused because its reader is slow is not a silent server: wait again.
          if (answer?.isPaused() && !answer.complete) return void socket.setTimeout(timeoutMs);
          failure.error = new StoreError('unavailable', `${describeUrl(url)} sent nothing for ${timeoutMs} ms.`);
          request.destroy(failure.error);
        });
      });
      request.on('error', (error) => reject(failure.error ?? networkFailure(error, url)));
      request.once('response', (response) => {
        answer = response;
        resolve({ url, request, response, failure });
      });
      request.end();
    });
  }

  /** The body bytes [skip, skip + take), as a stream that fails with a StoreError if the body breaks off. */
  private bodyOf(exchange: Exchange, skip: number, take: number): Readable {
    const { request, response, url, failure } = exchange;
    const body = new ByteWindow(skip, take, describeUrl(url), () => {
      response.unpipe(body);
      discard(exchange);
    });
    const fail = (error: Error) => {
      if (!body.complete) body.destroy(failure.error ?? networkFailure(error, url));
    };
    request.on('error', fail);
    response.on('error', fail);
    response.on('close', () => {
      if (!response.complete) fail(new Error('the connection closed before the end of the body'));
    });
    // The reader went away or is done: stop downloading.
    body.on('close', () => discard(exchange));
    response.pipe(body);
    return body;
  }
}

/** Passes through bytes [offset, offset + count) of what is written, then ends and calls `stop`. */
class ByteWindow extends Transform {
  complete = false;
  private seen = 0;

  constructor(
    private readonly offset: number,
    private readonly count: number,
    private readonly source: string,
    private readonly stop: () => void,
  ) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    if (this.complete) return done();
    const limit = this.offset + this.count;
    const from = Math.max(0, this.offset - this.seen);
    const to = Math.min(chunk.length, limit - this.seen);
    this.seen += chunk.length;
    if (to > from) this.push(from === 0 && to === chunk.length ? chunk : chunk.subarray(from, to));
    if (this.seen < limit) return done();
    this.complete = true;
    this.push(null);
    done();
    this.stop();
    this.end();
  }

  override _flush(done: TransformCallback): void {
    if (this.complete || this.seen >= this.offset + this.count) {
      this.complete = true;
      return done();
    }
    const got = Math.max(0, this.seen - this.offset);
    done(new StoreError('unavailable', `${this.source} ended after ${got} of ${this.count} bytes.`));
  }
}

/** An http(s) URL with a host, or invalid_location. */
function urlOf(location: string): URL {
  let url: URL;
  try {
    url = new URL(location);
  } catch {
    throw new StoreError('invalid_location', 'The location is not a valid URL.');
  }
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || !url.hostname) {
    throw new StoreError('invalid_location', `The location ${describeUrl(url)} is not an http or https URL.`);
  }
  return url;
}

function redirectTarget(location: string, from: URL): URL {
  let url: URL;
  try {
    url = new URL(location, from);
  } catch {
    throw new StoreError('invalid_location', `${describeUrl(from)} redirected to an invalid URL.`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new StoreError('invalid_location', `${describeUrl(from)} redirected to a ${url.protocol} URL; only http and https are followed.`);
  }
  return url;
}

/** Ends an exchange whose body is not wanted (any more). */
function discard(exchange: Exchange): void {
  exchange.response.resume();
  exchange.request.destroy();
}

function isSuccess(status: number): boolean {
  return status >= 200 && status < 300;
}

/** The failure of an answer that is neither data nor a redirect (glance_store: 404 NotFound, others BadStoreUri). */
function statusFailure(status: number, url: URL): StoreError {
  const shown = describeUrl(url);
  if (status === 404 || status === 410) return new StoreError('not_found', `No image data at ${shown} (HTTP ${status}).`);
  if (status >= 500) return new StoreError('unavailable', `${shown} answered HTTP ${status}.`);
  return new StoreError('invalid_location', `${shown} answered HTTP ${status}.`);
}

function unsatisfiable(shown: string, range: ByteRange, size: number | null): StoreError {
  const of = size === null ? '' : ` of ${size}`;
  return new StoreError('invalid_location', `${shown} cannot serve bytes ${range.start}-${range.end}${of}.`);
}

/** Connection refused, reset, timed out, TLS failures…: the remote store is unavailable. */
function networkFailure(error: unknown, url: URL): StoreError {
  if (error instanceof StoreError) return error;
  const code = (error as NodeJS.ErrnoException)?.code;
  const why = code ? `${code}: ${(error as Error).message}` : String((error as Error)?.message ?? error);
  return new StoreError('unavailable', `The remote server of ${describeUrl(url)} is unavailable (${why}).`);
}

function contentLengthOf(response: IncomingMessage): number | null {
  const header = response.headers['content-length'];
  return header !== undefined && /^\d+$/.test(header) && Number.isSafeInteger(Number(header)) ? Number(header) : null;
}

/** `bytes a-b/total` (total may be `*`). */
function contentRangeOf(response: IncomingMessage): { start: number; end: number; size: number | null } | null {
  const match = /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(response.headers['content-range']?.trim() ?? '');
  if (!match) return null;
  const [start, end] = [Number(match[1]), Number(match[2])];
  const size = match[3] === '*' ? null : Number(match[3]);
  if (end < start || (size !== null && end >= size)) return null;
  return { start, end, size };
}

/** The total of a 416's `bytes *\/total`. */
function unsatisfiedSizeOf(response: IncomingMessage): number | null {
  const match = /^bytes \*\/(\d+)$/.exec(response.headers['content-range']?.trim() ?? '');
  return match ? Number(match[1]) : null;
}
