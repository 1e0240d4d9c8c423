import type { IncomingMessage } from 'node:http';
import { StoreError } from '../store.errors';
import { discard, send, textOf } from './swift-http';

/** A token good for the account at `storageUrl`. */
export interface SwiftSession {
  token: string;
  storageUrl: string;
  /** Epoch milliseconds; absent when the auth service did not say. */
  expiresAt?: number;
}

/** Where a SwiftStore gets its token: injectable, so a test can hand out a token Swift no longer knows. */
export interface SwiftAuthenticator {
  session(): Promise<SwiftSession>;
  /** Forgets a token Swift refused, so the next session() logs in again. */
  invalidate(token: string): void;
  /** The storage URL of the last login, if there was one. */
  readonly storageUrl: string | undefined;
}

export interface SwiftAuthSettings {
  authAddress: string;
  authVersion: '1' | '3';
  user: string;
  key: string;
  userDomainId: string;
  projectDomainId: string;
  region?: string;
  endpointType: string;
  endpoint?: string;
  serviceType: string;
}

/** glance_store's swift_store_expire_soon_interval: a token this close to expiry is renewed first. */
const EXPIRE_SOON_MS = 60_000;
const ERROR_TEXT_LIMIT = 300;

/** Caches one session and shares a login in progress between concurrent callers. */
export class SwiftTokens implements SwiftAuthenticator {
  private current: SwiftSession | null = null;
  private pending: Promise<SwiftSession> | null = null;
  private lastStorageUrl: string | undefined;

  constructor(
    private readonly login: () => Promise<SwiftSession>,
    private readonly now: () => number = Date.now,
  ) {}

  get storageUrl(): string | undefined {
    return this.lastStorageUrl;
  }

  session(): Promise<SwiftSession> {
    if (this.current && !this.expiresSoon(this.current)) return Promise.resolve(this.current);
    this.pending ??= this.login().then(
      (session) => {
        this.current = session;
        this.lastStorageUrl = session.storageUrl;
        this.pending = null;
        return session;
      },
      (error: unknown) => {
        this.pending = null;
        throw error;
      },
    );
    return this.pending;
  }

  invalidate(token: string): void {
    if (this.current?.token === token) this.current = null;
  }

  private expiresSoon(session: SwiftSession): boolean {
    return session.expiresAt !== undefined && session.expiresAt - this.now() < EXPIRE_SOON_MS;
  }
}

/** The login of swift_store_auth_version: tempauth/swauth v1.0, or Keystone v3 password auth. */
export function loginFor(settings: SwiftAuthSettings): () => Promise<SwiftSession> {
  return settings.authVersion === '1' ? () => loginV1(settings) : () => loginV3(settings);
}

async function loginV1(settings: SwiftAuthSettings): Promise<SwiftSession> {
  const response = await send('GET', settings.authAddress, { 'X-Auth-User': settings.user, 'X-Auth-Key': settings.key });
  if (response.statusCode !== 200 && response.statusCode !== 204) throw await authFailure(response, settings);
  discard(response);
  const token = header(response.headers['x-auth-token']);
  const storageUrl = settings.endpoint ?? header(response.headers['x-storage-url']);
  if (!token || !storageUrl) throw new StoreError('unavailable', `${settings.authAddress} answered without X-Auth-Token or X-Storage-Url`);
  const expires = Number(header(response.headers['x-auth-token-expires']));
  return { token, storageUrl, expiresAt: Number.isFinite(expires) && expires > 0 ? Date.now() + expires * 1000 : undefined };
}

async function loginV3(settings: SwiftAuthSettings): Promise<SwiftSession> {
  const [project, user] = splitUser(settings.user);
  const body = {
    auth: {
      identity: { methods: ['password'], password: { user: { name: user, domain: { id: settings.userDomainId }, password: settings.key } } },
      scope: { project: { name: project, domain: { id: settings.projectDomainId } } },
    },
  };
  const url = `${settings.authAddress.replace(/\/+$/, '')}/auth/tokens`;
  const response = await send('POST', url, { 'Content-Type': 'application/json', Accept: 'application/json' }, Buffer.from(JSON.stringify(body)));
  if (response.statusCode !== 201) throw await authFailure(response, settings);
  const token = header(response.headers['x-subject-token']);
  const answer = JSON.parse(await textOf(response)) as TokenAnswer;
  if (!token) throw new StoreError('unavailable', `${url} answered without X-Subject-Token`);
  const storageUrl = settings.endpoint ?? endpointFromCatalog(answer.token.catalog ?? [], settings);
  const expiresAt = answer.token.expires_at ? Date.parse(answer.token.expires_at) : undefined;
  return { token, storageUrl, expiresAt };
}

/** swift_store_user for Keystone is `project:user`, as in glance_store. */
export function splitUser(user: string): [project: string, user: string] {
  const colon = user.indexOf(':');
  if (colon <= 0 || colon === user.length - 1) {
    throw new StoreError('unavailable', `swift_store_user=${user} must be project:user for swift_store_auth_version=3`);
  }
  return [user.slice(0, colon), user.slice(colon + 1)];
}

export interface CatalogEntry {
  type: string;
  endpoints: { interface: string; url: string; region_id?: string; region?: string }[];
}

interface TokenAnswer {
  token: { expires_at?: string; catalog?: CatalogEntry[] };
}

/** Glance's endpoint types are Keystone v2 names; v3 catalogs say public, internal, admin. */
const INTERFACE_OF: Record<string, string> = { publicURL: 'public', internalURL: 'internal', adminURL: 'admin' };

/** The storage URL as keystoneauth picks it: the first endpoint of the service type, interface and region. */
export function endpointFromCatalog(
  catalog: readonly CatalogEntry[],
  wanted: Pick<SwiftAuthSettings, 'serviceType' | 'endpointType' | 'region'>,
): string {
  const wantedInterface = INTERFACE_OF[wanted.endpointType] ?? wanted.endpointType;
  const inRegion = (endpoint: CatalogEntry['endpoints'][number]) =>
    wanted.region === undefined || endpoint.region_id === wanted.region || endpoint.region === wanted.region;
  for (const entry of catalog.filter((candidate) => candidate.type === wanted.serviceType)) {
    const endpoint = entry.endpoints.find((candidate) => candidate.interface === wantedInterface && inRegion(candidate));
    if (endpoint) return endpoint.url;
  }
  const region = wanted.region === undefined ? '' : `, swift_store_region=${wanted.region}`;
  throw new StoreError(
    'unavailable',
    `The service catalog has no endpoint for swift_store_service_type=${wanted.serviceType}, swift_store_endpoint_type=${wanted.endpointType}${region}`,
  );
}

async function authFailure(response: IncomingMessage, settings: SwiftAuthSettings): Promise<StoreError> {
  const detail = (await textOf(response, ERROR_TEXT_LIMIT)).replace(/<[^>]*>/g, ' ').trim();
  return new StoreError(
    'unavailable',
    `swift_store_auth_address=${settings.authAddress} refused the login of ${settings.user} (HTTP ${response.statusCode})${detail ? `: ${detail}` : ''}`,
  );
}

function header(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
