import { type CallerContext, GlimpseError, badRequest } from '@glimpse/contracts';
import type { IncomingHttpHeaders } from 'node:http';
import { KeystoneAuth, type KeystoneAuthOptions } from './keystone/keystone-auth';
import type { KeystoneSettings } from './keystone/keystone-client';

/** Owners and members are stored in 255-character columns. */
const MAX_ID_LENGTH = 255;

/** The strategies that read the identity from the request's headers alone. */
export type HeaderStrategy = 'noauth' | 'trusted';
export type AuthStrategy = HeaderStrategy | 'keystone';

/** Glance's unauthenticated context: an admin with no project, user or roles. */
export const NOAUTH_CALLER: CallerContext = Object.freeze({
  projectId: null,
  userId: null,
  roles: [],
  isAdmin: true,
}) as CallerContext;

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/**
 * Who is calling. In trusted mode the identity comes from the headers an authenticating proxy
 * (keystonemiddleware) sets; without X-Identity-Status: Confirmed the request is refused.
 */
export function resolveCaller(strategy: HeaderStrategy, headers: IncomingHttpHeaders): CallerContext {
  if (strategy === 'noauth') return NOAUTH_CALLER;
  if (header(headers, 'x-identity-status') !== 'Confirmed') {
    throw new GlimpseError('unauthorized', 'This server could not verify that you are authorized to access the document you requested.');
  }
  const projectId = header(headers, 'x-project-id') ?? header(headers, 'x-tenant-id') ?? null;
  const userId = header(headers, 'x-user-id') ?? null;
  if ((projectId?.length ?? 0) > MAX_ID_LENGTH || (userId?.length ?? 0) > MAX_ID_LENGTH) {
    throw badRequest(`X-Project-Id and X-User-Id may not be longer than ${MAX_ID_LENGTH} characters.`);
  }
  const roles = (header(headers, 'x-roles') ?? '')
    .split(',')
    .map((role) => role.trim().toLowerCase())
    .filter(Boolean);
  return {
    projectId,
    userId,
    roles,
    isAdmin: roles.includes('admin'),
  };
}

export type IdentitySettings =
  | { strategy: HeaderStrategy }
  /** keystone: [keystone_authtoken]; options are for tests (a clock, a logger). */
  | { strategy: 'keystone'; keystone: KeystoneSettings; options?: KeystoneAuthOptions };

/** Who is calling, for every app that answers callers (the API and the cache agents). */
export class CallerResolver {
  private readonly resolveFor: (headers: IncomingHttpHeaders) => Promise<CallerContext>;

  constructor(settings: IdentitySettings) {
    if (settings.strategy === 'keystone') {
      const keystone = new KeystoneAuth(settings.keystone, settings.options);
      this.resolveFor = (headers) => keystone.resolve(headers);
    } else {
      const strategy = settings.strategy;
      this.resolveFor = async (headers) => resolveCaller(strategy, headers);
    }
  }

  resolve(headers: IncomingHttpHeaders): Promise<CallerContext> {
    return this.resolveFor(headers);
  }
}
