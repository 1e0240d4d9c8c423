import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { type AddOptions, SwiftStore, type SwiftStoreSettings, SwiftTokens, swiftLogin } from '@glimpse/stores';
import { bytesOf, describeStoreConformance } from '../../support/store-conformance';
import { readEnvFile } from '../../support/env-file';

// A second real Swift, in keystone mode: Keystone v3 tokens, the storage URL from the catalog.
const ENV_FILE = '/tmp/glimpse-objstore-keystone/env';
const START = 'OBJSTORE_AUTH=keystone OBJSTORE_PORT=18180 OBJSTORE_DIR=/tmp/glimpse-objstore-keystone bash scripts/objstore/start.sh';
const MIB = 1024 * 1024;
// Every Keystone login hashes a password: seconds each when the CI machine is busy.
jest.setTimeout(30000);

const envFile = (path: string) => readEnvFile(path, START);

const env = envFile(ENV_FILE);
const container = `glimpse-conformance-${randomUUID().slice(0, 8)}`;
const settings: SwiftStoreSettings = {
  authAddress: env['OBJSTORE_SWIFT_AUTH_URL'],
  authVersion: '3',
  user: env['OBJSTORE_SWIFT_USER'],
  key: env['OBJSTORE_SWIFT_KEY'],
  userDomainId: env['OBJSTORE_KEYSTONE_USER_DOMAIN_ID'],
  projectDomainId: env['OBJSTORE_KEYSTONE_PROJECT_DOMAIN_ID'],
  region: env['OBJSTORE_SWIFT_REGION'],
  container,
  createContainerOnPut: true,
  largeObjectSize: 8 * MIB,
  largeObjectChunkSize: 5 * MIB,
};
const options: AddOptions = { hashAlgo: 'sha512', maxSize: 1024 * MIB };
const admin = new SwiftTokens(swiftLogin(settings));

async function swift(method: string, path: string): Promise<{ status: number; text: string }> {
  const session = await admin.session();
  const response = await fetch(`${session.storageUrl}${path}`, { method, headers: { 'X-Auth-Token': session.token } });
  return { status: response.status, text: await response.text() };
}

async function names(inContainer: string): Promise<string[]> {
  const response = await swift('GET', `/${inContainer}?format=json`);
  if (response.status === 404 || response.status === 204) return [];
  return (JSON.parse(response.text) as { name: string }[]).map((entry) => entry.name);
}

async function removeContainer(name: string): Promise<void> {
  for (const object of await names(name)) await swift('DELETE', `/${name}/${encodeURIComponent(object)}`);
  await swift('DELETE', `/${name}`);
}

afterAll(async () => {
  await removeContainer(container);
  await removeContainer(`${container}_segments`);
});

const store = new SwiftStore(settings);
const prepared = () =>
  store.prepare().catch((error: Error) => {
    throw new Error(`${error.message} (is the keystone-mode Swift running? ${START})`);
  });

describeStoreConformance('swift (keystone v3)', {
  open: async () => {
    await prepared();
    return store;
  },
  leftovers: async () => [...(await names(container)), ...(await names(`${container}_segments`)).map((name) => `${container}_segments/${name}`)],
  largeBytes: 200 * MIB,
});

describe('swift store (keystone v3) specifics', () => {
  beforeAll(prepared);

  it('takes the storage URL from the catalog and forms locations on its host', async () => {
    const id = randomUUID();
    const stored = await store.add(id, Readable.from([Buffer.from('catalog')]), { ...options, expectedSize: 7 });
    expect(stored.location).toBe(`swift+http://${new URL(env['OBJSTORE_SWIFT_STORAGE_URL']).host}/${container}/${id}`);
    expect((await admin.session()).storageUrl).toBe(env['OBJSTORE_SWIFT_STORAGE_URL']);
  });

  it('logs in again when Swift refuses a revoked token', async () => {
    const tokens = new SwiftTokens(swiftLogin(settings));
    const revoked = await tokens.session();
    // Revoked before Swift has seen it, so authtoken has not cached it as valid.
    const revoke = await fetch(`${settings.authAddress}/auth/tokens`, {
      method: 'DELETE',
      headers: { 'X-Auth-Token': revoked.token, 'X-Subject-Token': revoked.token },
    });
    expect(revoke.status).toBe(204);
    const stored = await store.add(randomUUID(), Readable.from([Buffer.from('revoked')]), { ...options, expectedSize: 7 });

    const withRevoked = new SwiftStore(settings, tokens);
    expect(await bytesOf((await withRevoked.get(stored.location)).stream)).toEqual(Buffer.from('revoked'));
    expect((await tokens.session()).token).not.toBe(revoked.token);
  });

  it('uses swift_store_endpoint instead of the catalog', async () => {
    const pinned = new SwiftStore({ ...settings, region: 'Nowhere', endpoint: env['OBJSTORE_SWIFT_STORAGE_URL'] });
    await pinned.prepare();
    const stored = await pinned.add(randomUUID(), Readable.from([Buffer.from('pinned')]), { ...options, expectedSize: 6 });
    expect(await store.size(stored.location)).toBe(6);
  });

  it('names the option when the login or the catalog does not fit', async () => {
    await expect(new SwiftStore({ ...settings, key: 'wrong' }).prepare()).rejects.toThrow(
      new RegExp(`^swift_store_auth_address=${settings.authAddress} refused the login of ${settings.user} \\(HTTP 401\\)`),
    );
    await expect(new SwiftStore({ ...settings, region: 'Nowhere' }).prepare()).rejects.toThrow(/swift_store_region=Nowhere/);
  });

  it("maps another project's 403 to write_denied on writes and unavailable on reads", async () => {
    const keystone = envFile(env['OBJSTORE_KEYSTONE_ENV']);
    const outsider = new SwiftStore({
      ...settings,
      user: `${keystone['KEYSTONE_DEMO_PROJECT']}:${keystone['KEYSTONE_DEMO_USER']}`,
      key: keystone['KEYSTONE_DEMO_PASSWORD'],
      endpoint: env['OBJSTORE_SWIFT_STORAGE_URL'],
    });
    const stored = await store.add(randomUUID(), Readable.from([Buffer.from('private')]), { ...options, expectedSize: 7 });
    await expect(outsider.get(stored.location)).rejects.toEqual(expect.objectContaining({ failure: 'unavailable' }));
    await expect(outsider.delete(stored.location)).rejects.toEqual(expect.objectContaining({ failure: 'write_denied' }));
    await expect(outsider.add(randomUUID(), Readable.from([Buffer.from('x')]), { ...options, expectedSize: 1 })).rejects.toEqual(
      expect.objectContaining({ failure: 'write_denied' }),
    );
    expect(await store.size(stored.location)).toBe(7);
  });
});
