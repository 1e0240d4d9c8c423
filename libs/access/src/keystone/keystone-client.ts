import { GlimpseError } from '@glimpse/contracts';
import type { TokenVerdict } from './token-cache';

/** [keystone_authtoken], as keystonemiddleware's auth_token reads it (password plugin only). */
export interface KeystoneSettings {
  /** The identity v3 API: auth_url with /v3 added when missing. */
  authUrl: string;
  /** Sent as WWW-Authenticate: Keystone uri="…" with every 401. */
  wwwAuthenticateUri: string;
  username: string;
  password: string;
  projectName: string;
  userDomain: { id: string } | { name: string };
  projectDomain: { id: string } | { name: string };
  serviceTokenRoles: readonly string[];
  serviceTokenRolesRequired: boolean;
  tokenCacheTimeMs: number;
  httpTimeoutMs: number;
}

/** The part of a validated token that Glimpse uses. */
export interface TokenIdentity {
  userId: string | null;
  projectId: string | null;
  /** Role names as Keystone gives them (implied roles included), lower-cased. */
  roles: string[];
}

/** A service token this close to its expiry is replaced before use (keystoneauth's stale margin is 30 s). */
const RENEW_BEFORE_MS = 60_000;
const DETAIL_LIMIT = 300;

/** keystonemiddleware's answer when the identity service cannot be used. */
export function keystoneUnavailable(): GlimpseError {
  return new GlimpseError('unavailable', 'The server is currently unavailable. Please try again at a later time.');
}

/**
 * Glimpse's own calls to Keystone: a service token from the [keystone_authtoken] credentials,
 * renewed before it expires, and GET /v3/auth/tokens to validate a client's token with it.
 * Keystone refusing or failing to answer is `unavailable` (503), never a 401 for the client.
 */
export class KeystoneClient {
  private service: { token: string; expiresAt: number } | null = null;
  private pendingLogin: Promise<string> | null = null;

  constructor(
    private readonly settings: KeystoneSettings,
    private readonly log: (message: string) => void,
    private readonly now: () => number = Date.now,
    private readonly send: typeof fetch = fetch,
  ) {}

  /** What Keystone says about `token`: valid (with its identity and expiry) or not. */
  async validate(token: string): Promise<TokenVerdict<TokenIdentity>> {
    let serviceToken = await this.serviceToken();
    let response = await this.request('GET', '/auth/tokens?nocatalog', { 'X-Auth-Token': serviceToken, 'X-Subject-Token': token });
    if (response.status === 401) {
      // Our own token was revoked or expired early: log in again once.
      await response.body?.cancel();
      this.forget(serviceToken);
      serviceToken = await this.serviceToken();
      response = await this.request('GET', '/auth/tokens?nocatalog', { 'X-Auth-Token': serviceToken, 'X-Subject-Token': token });
    }
    if (response.status === 404) {
      await response.body?.cancel();
      return { valid: false };
    }
    if (response.status !== 200) {
      this.log(`GET ${this.settings.authUrl}/auth/tokens as ${this.settings.username} answered HTTP ${response.status}: ${await detail(response)}`);
      throw keystoneUnavailable();
    }
    const body = (await this.json(response)) as ValidatedToken;
    const expiresAt = Date.parse(body.token?.expires_at ?? '');
    if (!Number.isFinite(expiresAt)) {
      this.log(`GET ${this.settings.authUrl}/auth/tokens answered a token without expires_at`);
      throw keystoneUnavailable();
    }
    return {
      valid: true,
      expiresAt,
      identity: {
        userId: body.token.user?.id ?? null,
        projectId: body.token.project?.id ?? null,
        roles: (body.token.roles ?? []).flatMap((role) => (typeof role?.name === 'string' ? [role.name.toLowerCase()] : [])),
      },
    };
  }

  private serviceToken(): Promise<string> {
    const current = this.service;
    if (current && current.expiresAt - this.now() > RENEW_BEFORE_MS) return Promise.resolve(current.token);
    this.pendingLogin ??= this.login().finally(() => {
      this.pendingLogin = null;
    });
    return this.pendingLogin;
  }

  private forget(token: string): void {
    if (this.service?.token === token) this.service = null;
  }

  private async login(): Promise<string> {
    const s = this.settings;
    const body = JSON.stringify({
      auth: {
        identity: { methods: ['password'], password: { user: { name: s.username, domain: s.userDomain, password: s.password } } },
        scope: { project: { name: s.projectName, domain: s.projectDomain } },
      },
    });
    const response = await this.request('POST', '/auth/tokens?nocatalog', { 'Content-Type': 'application/json' }, body);
    const token = response.headers.get('x-subject-token');
    if (response.status !== 201 || !token) {
      this.log(
        `[keystone_authtoken] auth_url=${s.authUrl} refused the login of username=${s.username} project_name=${s.projectName} (HTTP ${response.status}): ${await detail(response)}`,
      );
      throw keystoneUnavailable();
    }
    const answer = (await this.json(response)) as ValidatedToken;
    const expiresAt = Date.parse(answer.token?.expires_at ?? '');
    this.service = { token, expiresAt: Number.isFinite(expiresAt) ? expiresAt : this.now() + RENEW_BEFORE_MS * 2 };
    return token;
  }

  private async request(method: string, path: string, headers: Record<string, string>, body?: string): Promise<Response> {
    const url = `${this.settings.authUrl}${path}`;
    try {
      return await this.send(url, {
        method,
        headers: { Accept: 'application/json', ...headers },
        body,
        redirect: 'error',
        signal: AbortSignal.timeout(this.settings.httpTimeoutMs),
      });
    } catch (error) {
      const cause = (error as { cause?: { code?: string; message?: string } }).cause;
      const reason = cause?.code ?? cause?.message ?? (error as Error).message;
      this.log(`${method} ${url}: Keystone is unreachable (${reason})`);
      throw keystoneUnavailable();
    }
  }

  private async json(response: Response): Promise<unknown> {
    try {
      return await response.json();
    } catch (error) {
      this.log(`${response.url}: Keystone answered a body that is not JSON (${(error as Error).message})`);
      throw keystoneUnavailable();
    }
  }
}

interface ValidatedToken {
  token: {
    expires_at?: string;
    user?: { id?: string };
    project?: { id?: string };
    roles?: { name: string }[];
  };
}

async function detail(response: Response): Promise<string> {
  try {
    return (await response.text()).replace(/\s+/g, ' ').slice(0, DETAIL_LIMIT);
  } catch {
    return '(no body)';
  }
}
