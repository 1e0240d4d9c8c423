import { HttpStore } from './http.store';
import { RemoteUrlPolicy } from './remote-url-policy';

/** No sockets here: every case fails before a connection (the integration spec runs a server). */
describe('HttpStore without a server', () => {
  const store = new HttpStore();

  it('owns http and https URLs with a host, nothing else', () => {
    expect(store.owns('http://images.example.com/cirros.img')).toBe(true);
    expect(store.owns('https://user:pw@images.example.com:8443/a/b?c=d')).toBe(true);
    for (const other of ['file:///var/lib/glance/images/x', 's3://bucket/x', 'swift+https://h/x', 'http://', 'images.example.com/x', '']) {
      expect(store.owns(other)).toBe(false);
    }
  });

  it('is read-only: add and delete are add_disabled (410)', async () => {
    expect(store.capabilities).toEqual({ read: true, write: false, randomAccess: true });
    await expect(store.add()).rejects.toMatchObject({ failure: 'add_disabled', code: 'gone' });
    await expect(store.delete('http://images.example.com/x')).rejects.toMatchObject({ failure: 'add_disabled', message: expect.stringMatching(/deleting/) });
  });

  it('answers invalid_location for a location it does not own', async () => {
    await expect(store.get('gopher://elsewhere/x')).rejects.toMatchObject({ failure: 'invalid_location' });
    await expect(store.size('file:///etc/passwd')).rejects.toMatchObject({ failure: 'invalid_location' });
    await expect(store.delete('ftp://elsewhere/x')).rejects.toMatchObject({ failure: 'invalid_location' });
  });

  it('refuses a malformed byte range before connecting', async () => {
    await expect(store.get('http://images.example.com/x', { start: 10, end: 9 })).rejects.toMatchObject({ failure: 'invalid_location' });
    await expect(store.get('http://images.example.com/x', { start: -1, end: 9 })).rejects.toMatchObject({ failure: 'invalid_location' });
  });

  it('asks the policy before it connects', async () => {
    const resolve = jest.fn(async () => [{ address: '169.254.169.254', family: 4 }]);
    const guarded = new HttpStore({ policy: new RemoteUrlPolicy({}, resolve) });
    await expect(guarded.get('http://metadata.example.com/latest/meta-data')).rejects.toMatchObject({ failure: 'forbidden_url', code: 'bad_request' });
    await expect(guarded.size('http://metadata.example.com/latest/meta-data')).rejects.toMatchObject({ failure: 'forbidden_url' });
    expect(resolve).toHaveBeenCalledWith('metadata.example.com');
  });

  it('describes itself with no properties (Glance shows none for http)', () => {
    expect(store.properties()).toEqual({});
    expect(store.type).toBe('http');
  });

  it('names the option when a setting is not usable', async () => {
    await expect(new HttpStore({ timeoutMs: 0 }).prepare()).rejects.toThrow(/http_store_timeout/);
    await expect(new HttpStore({ maxRedirects: -1 }).prepare()).rejects.toThrow(/maxRedirects/);
    await expect(new HttpStore().prepare()).resolves.toBeUndefined();
  });
});
