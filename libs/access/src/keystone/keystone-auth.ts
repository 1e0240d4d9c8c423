import { Logger } from '@nestjs/common';
import { type CallerContext, GlimpseError } from '@glimpse/contracts';
import type { IncomingHttpHeaders } from 'node:http';
import { KeystoneClient, type KeystoneSettings, type TokenIdentity } from './keystone-client';
import { TokenCache } from './token-cache';

const logger = new Logger('KeystoneAuth');

/** A 401 that tells the client where to get a token, as keystonemiddleware's auth_token answers. */
export class KeystoneUnauthorized extends GlimpseError {
  constructor(readonly wwwAuthenticate: string) {
    super('unauthorized', 'The request you have made requires authentication.');
  }
}

/** The WWW-Authenticate header of a 401, if the error carries one. */
export function wwwAuthenticateOf(error: unknown): string | null {
  return error instanceof KeystoneUnauthorized ? error.wwwAuthenticate : null;
}

/**
 * Keystone's tokens (fernet, JWS, UUID) are printable ASCII of a few hundred characters; anything
 * else is refused without asking Keystone (and could not be sent on in a header anyway).
 */
const TOKEN_SHAPE = /^[\x21-\x7e]{1,8192}$/;

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  const first = Array.isArray(value) ? value[0] : value;
  return first?.trim() || undefined;
}

/** Where KeystoneAuth asks: the real KeystoneClient unless a test hands in another. */
export type TokenValidator = Pick<KeystoneClient, 'validate'>;

export interface KeystoneAuthOptions {
  /** Why Keystone could not be used (the client gets a bare 503). */
  log?: (message: string) => void;
  client?: TokenValidator;
  now?: () => number;
}

/**
 * auth_strategy = keystone: the caller is whoever Keystone says X-Auth-Token belongs to. An
 * X-Service-Token, when sent, must be valid too (and carry service_token_roles when
 * service_token_roles_required); it adds nothing to the caller.
 */
export class KeystoneAuth {
  private readonly cache: TokenCache<TokenIdentity>;
  private readonly challenge: string;
  private readonly client: TokenValidator;

  constructor(
    private readonly settings: KeystoneSettings,
    { log = (message) => logger.warn(message), client, now = Date.now }: KeystoneAuthOptions = {},
  ) {
    this.client = client ?? new KeystoneClient(settings, log, now);
    this.cache = new TokenCache(settings.tokenCacheTimeMs, now);
    this.challenge = `Keystone uri="${settings.wwwAuthenticateUri}"`;
  }

  async resolve(headers: IncomingHttpHeaders): Promise<CallerContext> {
    const token = header(headers, 'x-auth-token') ?? header(headers, 'x-storage-token');
    if (!token) throw new KeystoneUnauthorized(this.challenge);
    const serviceToken = header(headers, 'x-service-token');
    const [user, service] = await Promise.all([this.identity(token), serviceToken ? this.identity(serviceToken) : null]);
    if (service && this.settings.serviceTokenRolesRequired && !service.roles.some((role) => this.settings.serviceTokenRoles.includes(role))) {
      throw new KeystoneUnauthorized(this.challenge);
    }
    return { projectId: user.projectId, userId: user.userId, roles: user.roles, isAdmin: user.roles.includes('admin') };
  }

  private async identity(token: string): Promise<TokenIdentity> {
    if (!TOKEN_SHAPE.test(token)) throw new KeystoneUnauthorized(this.challenge);
    const verdict = await this.cache.verdict(token, () => this.client.validate(token));
    if (!verdict.valid) throw new KeystoneUnauthorized(this.challenge);
    return verdict.identity;
  }
}
