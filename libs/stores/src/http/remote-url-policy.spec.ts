import type { LookupAddress } from 'node:dns';
import { RemoteUrlPolicy, type RemoteUrlPolicySettings, canonicalHost, specialKindOf } from './remote-url-policy';

const PUBLIC_V4 = '93.184.215.14';
const PUBLIC_V6 = '2606:2800:21f:cb07:6820:80da:af6b:8b2c';

/** A resolver from a table: no DNS in unit tests. */
function resolverOf(table: Record<string, LookupAddress[]>) {
  const asked: string[] = [];
  const resolve = async (host: string) => {
    asked.push(host);
    const found = table[host];
    if (!found) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
    return found;
  };
  return { resolve, asked };
}

const v4 = (address: string): LookupAddress => ({ address, family: 4 });
const v6 = (address: string): LookupAddress => ({ address, family: 6 });

const table: Record<string, LookupAddress[]> = {
  'images.example.com': [v4(PUBLIC_V4), v6(PUBLIC_V6)],
  'other.example.com': [v4('93.184.215.15')],
  'internal.example.com': [v4('10.1.2.3')],
  'split.example.com': [v4(PUBLIC_V4), v4('192.168.1.20'), v6(PUBLIC_V6)],
  'mapped.example.com': [v6('::ffff:127.0.0.1')],
  'localhost': [v4('127.0.0.1'), v6('::1')],
};

function policy(settings: Partial<RemoteUrlPolicySettings> = {}) {
  const resolver = resolverOf(table);
  return { policy: new RemoteUrlPolicy(settings, resolver.resolve), asked: resolver.asked };
}

const refusedWith = (pattern: RegExp) => expect.objectContaining({ failure: 'forbidden_url', code: 'bad_request', message: expect.stringMatching(pattern) });

describe('RemoteUrlPolicy defaults (Glance [import_filtering_opts])', () => {
  it('allows http and https to a public host on ports 80 and 443', async () => {
    const { policy: p } = policy();
    const target = await p.check('https://images.example.com/cirros.img');
    expect(target).toEqual(
      expect.objectContaining({ host: 'images.example.com', port: 443, address: PUBLIC_V4, family: 4, addresses: [v4(PUBLIC_V4), v6(PUBLIC_V6)] }),
    );
    expect((await p.check('http://images.example.com:80/x')).port).toBe(80);
  });

  it.each(['ftp://images.example.com/x', 'file:///etc/passwd', 'gopher://images.example.com/x', 'data:text/plain,hi'])('refuses the scheme of %s', async (url) => {
    await expect(policy().policy.check(url)).rejects.toEqual(refusedWith(/scheme/));
  });

  it.each(['http://images.example.com:8080/x', 'https://images.example.com:22/x', 'http://images.example.com:444/x'])(
    'refuses the port of %s',
    async (url) => {
      await expect(policy().policy.check(url)).rejects.toEqual(refusedWith(/port/));
    },
  );

  it('says invalid_location for what is not a URL, and for a host that does not resolve', async () => {
    await expect(policy().policy.check('not a url')).rejects.toMatchObject({ failure: 'invalid_location' });
    await expect(policy().policy.check('http://nowhere.example.com/x')).rejects.toMatchObject({ failure: 'invalid_location', message: expect.stringMatching(/does not resolve/) });
  });

  it('says unavailable when the resolver cannot answer now', async () => {
    const flaky = new RemoteUrlPolicy({}, async () => {
      throw Object.assign(new Error('getaddrinfo EAI_AGAIN images.example.com'), { code: 'EAI_AGAIN' });
    });
    await expect(flaky.check('http://images.example.com/x')).rejects.toMatchObject({ failure: 'unavailable' });
  });

  it('keeps credentials and the query out of its messages', async () => {
    await expect(policy().policy.check('http://user:secret@images.example.com:8080/x?X-Amz-Signature=abc')).rejects.toEqual(
      expect.objectContaining({ message: expect.not.stringMatching(/secret|Signature/) }),
    );
  });
});

describe('RemoteUrlPolicy address checks', () => {
  it.each([
    ['127.0.0.1', 'loopback'],
    ['127.255.0.9', 'loopback'],
    ['10.0.0.1', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.254', 'private'],
    ['192.168.0.1', 'private'],
    ['169.254.169.254', 'link-local'],
    ['100.64.0.1', 'shared (CGNAT)'],
    ['100.127.255.254', 'shared (CGNAT)'],
    ['0.0.0.0', 'unspecified'],
    ['224.0.0.1', 'multicast'],
    ['239.255.255.250', 'multicast'],
    ['255.255.255.255', 'reserved'],
    ['::1', 'loopback'],
    ['::', 'unspecified'],
    ['fc00::1', 'private (unique local)'],
    ['fd12:3456:789a::1', 'private (unique local)'],
    ['fe80::1', 'link-local'],
    ['febf::1', 'link-local'],
    ['ff02::1', 'multicast'],
    ['::ffff:127.0.0.1', 'IPv4-mapped loopback'],
    ['::ffff:7f00:1', 'IPv4-mapped loopback'],
    ['::ffff:10.0.0.1', 'IPv4-mapped private'],
    ['::ffff:169.254.169.254', 'IPv4-mapped link-local'],
    ['::ffff:100.64.0.1', 'IPv4-mapped shared (CGNAT)'],
    ['64:ff9b::a9fe:a9fe', 'NAT64 link-local'],
  ])('classifies %s as %s', (address, kind) => {
    expect(specialKindOf(address)).toBe(kind);
  });

  it.each([PUBLIC_V4, '100.63.255.255', '100.128.0.0', '172.15.255.255', '172.32.0.0', '169.253.255.255', '11.0.0.1', PUBLIC_V6, '::ffff:93.184.215.14', 'fbff::1', 'fe7f::1'])(
    'lets the public address %s through',
    (address) => {
      expect(specialKindOf(address)).toBeNull();
    },
  );

  it.each([
    ['http://127.0.0.1/x', /127\.0\.0\.1, a loopback/],
    ['http://[::1]/x', /::1, a loopback/],
    ['http://[::ffff:127.0.0.1]/x', /IPv4-mapped loopback/],
    ['http://169.254.169.254/latest/meta-data', /link-local/],
    ['http://[fe80::1]/x', /link-local/],
    ['http://[fd00::1]/x', /unique local/],
    ['http://100.64.1.1/x', /CGNAT/],
    ['http://localhost/x', /localhost resolves to 127\.0\.0\.1/],
    ['http://internal.example.com/x', /resolves to 10\.1\.2\.3, a private/],
    ['http://mapped.example.com/x', /IPv4-mapped loopback/],
  ])('refuses %s', async (url, why) => {
    await expect(policy().policy.check(url)).rejects.toEqual(refusedWith(why));
  });

  it.each(['http://2130706433/x', 'http://0x7f000001/x', 'http://0177.0.0.1/x', 'http://127.1/x', 'http://0x7f.0.0.1/x'])(
    'normalises the encoded address in %s and refuses it as loopback',
    async (url) => {
      await expect(policy().policy.check(url)).rejects.toEqual(refusedWith(/127\.0\.0\.1, a loopback/));
    },
  );

  it('refuses a host when any one of its addresses is private', async () => {
    await expect(policy().policy.check('http://split.example.com/x')).rejects.toEqual(refusedWith(/192\.168\.1\.20, a private/));
  });

  it('resolves an address literal without asking DNS', async () => {
    const { policy: p, asked } = policy();
    expect((await p.check(`http://${PUBLIC_V4}/x`)).addresses).toEqual([v4(PUBLIC_V4)]);
    expect((await p.check(`http://[${PUBLIC_V6}]/x`)).addresses).toEqual([v6(PUBLIC_V6)]);
    expect(asked).toEqual([]);
  });

  it('lets private addresses through when allowPrivateAddresses is set', async () => {
    const { policy: p } = policy({ allowPrivateAddresses: true });
    expect((await p.check('http://localhost/x')).address).toBe('127.0.0.1');
    expect((await p.check('http://split.example.com/x')).addresses).toHaveLength(3);
    expect((await p.check('http://[::1]/x')).family).toBe(6);
  });

  it('trusts a host on a non-empty allowed_hosts wherever it resolves, and refuses every other host', async () => {
    const { policy: p } = policy({ allowedHosts: ['internal.example.com', '127.0.0.1'] });
    expect((await p.check('http://internal.example.com/x')).address).toBe('10.1.2.3');
    expect((await p.check('http://127.0.0.1/x')).address).toBe('127.0.0.1');
    await expect(p.check('http://images.example.com/x')).rejects.toEqual(refusedWith(/host images\.example\.com is not allowed/));
    await expect(p.check('http://localhost/x')).rejects.toEqual(refusedWith(/host localhost is not allowed/));
  });
});

describe('RemoteUrlPolicy lists and their precedence', () => {
  it('refuses a disallowed scheme when no scheme is allowed explicitly', async () => {
    const { policy: p } = policy({ allowedSchemes: [], disallowedSchemes: ['http'] });
    await expect(p.check('http://images.example.com/x')).rejects.toEqual(refusedWith(/scheme http/));
    expect((await p.check('https://images.example.com/x')).port).toBe(443);
  });

  it('ignores disallowed_schemes when allowed_schemes is set (the allow list wins)', async () => {
    const { policy: p } = policy({ allowedSchemes: ['https'], disallowedSchemes: ['https'] });
    expect((await p.check('https://images.example.com/x')).port).toBe(443);
    await expect(p.check('http://images.example.com/x')).rejects.toEqual(refusedWith(/scheme http/));
  });

  it('refuses a disallowed host, by name, by address literal and by resolved address', async () => {
    const { policy: p } = policy({ disallowedHosts: ['other.example.com', PUBLIC_V4] });
    await expect(p.check('http://other.example.com/x')).rejects.toEqual(refusedWith(/host other\.example\.com is not allowed/));
    await expect(p.check('http://OTHER.example.com./x')).rejects.toEqual(refusedWith(/host other\.example\.com is not allowed/));
    await expect(p.check(`http://${PUBLIC_V4}/x`)).rejects.toEqual(refusedWith(/not allowed/));
    await expect(p.check('http://images.example.com/x')).rejects.toEqual(refusedWith(/resolves to 93\.184\.215\.14, which is not allowed/));
  });

  it('compares IPv6 and encoded IPv4 entries in their canonical form', async () => {
    const { policy: p } = policy({ disallowedHosts: ['2606:2800:21F:CB07:6820:80DA:AF6B:8B2C', '0x5db8d70f'] });
    await expect(p.check(`http://[${PUBLIC_V6}]/x`)).rejects.toEqual(refusedWith(/not allowed/));
    await expect(p.check('http://93.184.215.15/x')).rejects.toEqual(refusedWith(/host 93\.184\.215\.15 is not allowed/));
    expect(canonicalHost('[::FFFF:127.0.0.1]')).toBe('::ffff:7f00:1');
    expect(canonicalHost('Images.Example.COM.')).toBe('images.example.com');
  });

  it('ignores disallowed_hosts when allowed_hosts is set (the allow list wins)', async () => {
    const { policy: p } = policy({ allowedHosts: ['images.example.com'], disallowedHosts: ['images.example.com'] });
    expect((await p.check('http://images.example.com/x')).host).toBe('images.example.com');
  });

  it('refuses a disallowed port only when allowed_ports is empty (the allow list wins)', async () => {
    const denying = policy({ allowedPorts: [], disallowedPorts: [8080] }).policy;
    await expect(denying.check('http://images.example.com:8080/x')).rejects.toEqual(refusedWith(/port 8080/));
    expect((await denying.check('http://images.example.com:9000/x')).port).toBe(9000);
    // With the default allowed_ports (80, 443) a disallowed_ports entry changes nothing.
    const defaults = policy({ disallowedPorts: [443] }).policy;
    expect((await defaults.check('https://images.example.com/x')).port).toBe(443);
  });

  it('checks the default port of a URL that names none against allowed_ports', async () => {
    const { policy: p } = policy({ allowedPorts: [8443] });
    await expect(p.check('https://images.example.com/x')).rejects.toEqual(refusedWith(/port 443/));
    expect((await p.check('https://images.example.com:8443/x')).port).toBe(8443);
  });

  it('names the option when a list entry is not valid', () => {
    expect(() => new RemoteUrlPolicy({ allowedHosts: ['not a host'] })).toThrow(/allowed_hosts/);
    expect(() => new RemoteUrlPolicy({ disallowedPorts: [70000] })).toThrow(/disallowed_ports/);
  });
});

describe('RemoteUrlPolicy pinned lookup', () => {
  const lookupOf = async (url: string, options: { all?: boolean; family?: number }) => {
    const target = await policy({ allowPrivateAddresses: true }).policy.check(url);
    return new Promise<{ error: NodeJS.ErrnoException | null; address: unknown; family?: number }>((done) =>
      target.lookup('ignored.example.com', options, (error, address, family) => done({ error, address, family })),
    );
  };

  it('answers with the checked addresses only, whatever host it is asked', async () => {
    expect(await lookupOf('http://split.example.com/x', {})).toEqual({ error: null, address: PUBLIC_V4, family: 4 });
    expect((await lookupOf('http://split.example.com/x', { all: true })).address).toEqual([v4(PUBLIC_V4), v4('192.168.1.20'), v6(PUBLIC_V6)]);
    expect(await lookupOf('http://split.example.com/x', { family: 6 })).toEqual({ error: null, address: PUBLIC_V6, family: 6 });
  });

  it('fails rather than asking DNS for a family that was not checked', async () => {
    expect((await lookupOf('http://internal.example.com/x', { family: 6 })).error).toMatchObject({ code: 'ENOTFOUND' });
  });
});
