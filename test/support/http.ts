import { request } from 'node:http';
import type { Readable } from 'node:stream';

export interface Identity {
  project: string;
  roles?: string[];
  user?: string;
}

export const ADMIN: Identity = { project: 'admin-project', roles: ['admin', 'member', 'reader'], user: 'admin' };
export const ALICE: Identity = { project: 'project-a', roles: ['member', 'reader'], user: 'alice' };
export const BOB: Identity = { project: 'project-b', roles: ['member', 'reader'], user: 'bob' };

/** The headers keystonemiddleware would set for this identity (trusted mode). */
export function identityHeaders(who: Identity | null): Record<string, string> {
  if (!who) return {};
  return {
    'X-Identity-Status': 'Confirmed',
    'X-Project-Id': who.project,
    'X-User-Id': who.user ?? `${who.project}-user`,
    'X-Roles': (who.roles ?? ['member', 'reader']).join(','),
  };
}

export interface Reply {
  status: number;
  headers: Headers;
  text: string;
  json<T = any>(): T;
}

/** One request against a running Glimpse, answered as status, headers and body text. */
export function api(base: string, who: Identity | null = null) {
  const call = async (method: string, path: string, init: { body?: unknown; headers?: Record<string, string> } = {}): Promise<Reply> => {
    const headers: Record<string, string> = { ...identityHeaders(who), ...init.headers };
    let body: string | undefined;
    if (init.body !== undefined) {
      body = typeof init.body === 'string' ? init.body : JSON.stringify(init.body);
      headers['Content-Type'] ??= 'application/json';
    }
    const res = await fetch(`${base}${path}`, { method, headers, body });
    const text = await res.text();
    return { status: res.status, headers: res.headers, text, json: () => JSON.parse(text) };
  };
  return {
    get: (path: string, headers?: Record<string, string>) => call('GET', path, { headers }),
    post: (path: string, body?: unknown, headers?: Record<string, string>) => call('POST', path, { body, headers }),
    del: (path: string, headers?: Record<string, string>) => call('DELETE', path, { headers }),
    put: (path: string, body?: unknown, headers?: Record<string, string>) => call('PUT', path, { body, headers }),
    patch: (path: string, ops: unknown, dialect: '2.1' | '2.0' = '2.1') =>
      call('PATCH', path, { body: ops, headers: { 'Content-Type': `application/openstack-images-v${dialect}-json-patch` } }),
    call,
  };
}

export interface UploadOptions {
  headers?: Record<string, string>;
  /** Send with Transfer-Encoding: chunked, as glanceclient does. */
  chunked?: boolean;
  /** PUT to /stage (interoperable import) instead of /file. */
  stage?: boolean;
}

/** PUT /v2/images/{id}/file (or /stage) with a streamed body. */
export function upload(base: string, id: string, data: Buffer | Readable, who: Identity | null, options: UploadOptions = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const url = new URL(`${base}/v2/images/${id}/${options.stage ? 'stage' : 'file'}`);
    const headers: Record<string, string> = {
      ...identityHeaders(who),
      'Content-Type': 'application/octet-stream',
      ...options.headers,
    };
    if (Buffer.isBuffer(data) && !options.chunked) headers['Content-Length'] = String(data.length);
    const req = request(url, { method: 'PUT', headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString();
        const h = new Headers();
        for (const [k, v] of Object.entries(res.headers)) if (typeof v === 'string') h.set(k, v);
        resolve({ status: res.statusCode ?? 0, headers: h, text, json: () => JSON.parse(text) });
      });
    });
    req.on('error', reject);
    if (Buffer.isBuffer(data)) req.end(data);
    else data.pipe(req);
  });
}

/** GET /v2/images/{id}/file into memory (tests use small images). */
export async function download(base: string, id: string, who: Identity | null, headers: Record<string, string> = {}) {
  const res = await fetch(`${base}/v2/images/${id}/file`, { headers: { ...identityHeaders(who), ...headers } });
  return { status: res.status, headers: res.headers, body: Buffer.from(await res.arrayBuffer()) };
}
