import { CallerResolver, NOAUTH_CALLER, resolveCaller } from './caller';
import type { KeystoneSettings } from './keystone/keystone-client';

describe('resolveCaller', () => {
  it('makes every noauth caller an admin without a project, whatever the headers', () => {
    expect(resolveCaller('noauth', { 'x-project-id': 'p1', 'x-roles': 'member' })).toEqual({
      projectId: null,
      userId: null,
      roles: [],
      isAdmin: true,
    });
    expect(resolveCaller('noauth', {})).toBe(NOAUTH_CALLER);
  });

  it.each([{}, { 'x-identity-status': 'Invalid' }, { 'x-identity-status': 'confirmed' }])(
    'refuses a trusted request with %p with 401',
    (headers) => {
      let refused: unknown;
      try {
        resolveCaller('trusted', { 'x-project-id': 'p1', ...headers });
      } catch (error) {
        refused = error;
      }
      expect(refused).toMatchObject({
        code: 'unauthorized',
        message: 'This server could not verify that you are authorized to access the document you requested.',
      });
    },
  );

  it('takes the identity from the proxy’s headers', () => {
    expect(
      resolveCaller('trusted', {
        'x-identity-status': 'Confirmed',
        'x-project-id': 'p1',
        'x-user-id': 'u1',
        'x-roles': ' Member, READER ,,',
      }),
    ).toEqual({ projectId: 'p1', userId: 'u1', roles: ['member', 'reader'], isAdmin: false });
  });

  it.each([
    [{ 'x-project-id': 'p1', 'x-tenant-id': 't1' }, 'p1'],
    [{ 'x-tenant-id': 't1' }, 't1'],
    [{}, null],
  ])('takes the project from %p', (headers, projectId) => {
    expect(resolveCaller('trusted', { 'x-identity-status': 'Confirmed', ...headers }).projectId).toBe(projectId);
  });

  it.each([
    ['admin', true],
    ['member, Admin ', true],
    ['administrator', false],
    ['', false],
  ])('with X-Roles %p is admin: %p', (roles, isAdmin) => {
    expect(resolveCaller('trusted', { 'x-identity-status': 'Confirmed', 'x-roles': roles }).isAdmin).toBe(isAdmin);
  });
});

describe('CallerResolver', () => {
  const trustedHeaders = { 'x-identity-status': 'Confirmed', 'x-project-id': 'p1', 'x-roles': 'admin' };

  it('resolves noauth and trusted as resolveCaller does, failures as rejections', async () => {
    expect(await new CallerResolver({ strategy: 'noauth' }).resolve(trustedHeaders)).toBe(NOAUTH_CALLER);
    expect(await new CallerResolver({ strategy: 'trusted' }).resolve(trustedHeaders)).toMatchObject({ projectId: 'p1', isAdmin: true });
    await expect(new CallerResolver({ strategy: 'trusted' }).resolve({})).rejects.toMatchObject({ code: 'unauthorized' });
  });

  it('with keystone asks Keystone about X-Auth-Token and ignores the proxy headers', async () => {
    const keystone: KeystoneSettings = {
      authUrl: 'http://ks/v3',
      wwwAuthenticateUri: 'http://ks/v3',
      username: 'glance',
      password: 'secret',
      projectName: 'service',
      userDomain: { id: 'default' },
      projectDomain: { id: 'default' },
      serviceTokenRoles: ['service'],
      serviceTokenRolesRequired: false,
      tokenCacheTimeMs: 0,
      httpTimeoutMs: 1000,
    };
    const resolver = new CallerResolver({
      strategy: 'keystone',
      keystone,
      options: {
        client: {
          validate: async (token) =>
            token === 'good' ? { valid: true, expiresAt: Date.now() + 60_000, identity: { userId: 'u', projectId: 'p-ks', roles: ['member'] } } : { valid: false },
        },
      },
    });
    expect(await resolver.resolve({ ...trustedHeaders, 'x-auth-token': 'good' })).toEqual({ projectId: 'p-ks', userId: 'u', roles: ['member'], isAdmin: false });
    await expect(resolver.resolve(trustedHeaders)).rejects.toMatchObject({ code: 'unauthorized', wwwAuthenticate: 'Keystone uri="http://ks/v3"' });
  });
});
