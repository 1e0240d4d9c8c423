import type { LookupAddress } from 'node:dns';
import { lookup } from 'node:dns/promises';
import { type LookupFunction, isIP } from 'node:net';
import { StoreError } from '../store.errors';

/**
 * Glance's [import_filtering_opts]. For each kind (scheme, host, port) a non-empty allow list
 * wins: the deny list of that kind is then ignored, as glance/common/utils.py validate_import_uri
 * does. Beyond Glance, every address the host resolves to is checked, so that a name (or a
 * redirect) cannot lead to loopback, private, link-local or metadata addresses.
 */
export interface RemoteUrlPolicySettings {
  allowedSchemes: readonly string[];
  disallowedSchemes: readonly string[];
  /** Host names or addresses. A host listed here may resolve to any address, private ones too. */
  allowedHosts: readonly string[];
  /** Host names or addresses; an address here also refuses names that resolve to it. */
  disallowedHosts: readonly string[];
  allowedPorts: readonly number[];
  disallowedPorts: readonly number[];
  /** Lets any host resolve to loopback, private, link-local, CGNAT or multicast addresses. */
  allowPrivateAddresses: boolean;
}

export const DEFAULT_REMOTE_URL_POLICY: Readonly<RemoteUrlPolicySettings> = Object.freeze({
  allowedSchemes: ['http', 'https'],
  disallowedSchemes: [],
  allowedHosts: [],
  disallowedHosts: [],
  allowedPorts: [80, 443],
  disallowedPorts: [],
  allowPrivateAddresses: false,
});

/** Resolves a host name to every address it has (dns.lookup with all: true in production). */
export type HostResolver = (host: string) => Promise<readonly LookupAddress[]>;

/** A URL that passed the policy, with the addresses that were checked: connect only to those. */
export interface ResolvedTarget {
  url: URL;
  /** The host as the lists compare it: lower case, IPv6 without brackets, no trailing dot. */
  host: string;
  port: number;
  /** The first checked address, the one to connect to. */
  address: string;
  family: 4 | 6;
  /** Every address the host resolved to; all of them passed the checks. */
  addresses: readonly LookupAddress[];
  /**
   * For http.request / net.connect: answers with the checked addresses instead of asking DNS
   * again, so the host cannot be rebound to another address between check and connect.
   */
  lookup: LookupFunction;
}

/** Ports of URLs that name none; a scheme missing here needs an explicit port. */
const DEFAULT_PORTS: Readonly<Record<string, number>> = { http: 80, https: 443, ftp: 21 };

interface AddressRange {
  base: bigint;
  prefix: number;
  kind: string;
}

const V4_BITS = 32;
const V6_BITS = 128;

const V4_SPECIAL: readonly AddressRange[] = [
  range4('0.0.0.0', 8, 'unspecified'),
  range4('10.0.0.0', 8, 'private'),
  range4('100.64.0.0', 10, 'shared (CGNAT)'),
  range4('127.0.0.0', 8, 'loopback'),
  range4('169.254.0.0', 16, 'link-local'),
  range4('172.16.0.0', 12, 'private'),
  range4('192.168.0.0', 16, 'private'),
  range4('224.0.0.0', 4, 'multicast'),
  range4('240.0.0.0', 4, 'reserved'),
];

const V6_SPECIAL: readonly AddressRange[] = [
  range6('::', 128, 'unspecified'),
  range6('::1', 128, 'loopback'),
  range6('fc00::', 7, 'private (unique local)'),
  range6('fe80::', 10, 'link-local'),
  range6('fec0::', 10, 'site-local'),
  range6('ff00::', 8, 'multicast'),
];

/** IPv6 ranges whose low 32 bits are an IPv4 address that the packet ends up at. */
const V6_EMBEDDING_V4: readonly AddressRange[] = [
  range6('::ffff:0:0', 96, 'IPv4-mapped'),
  range6('::', 96, 'IPv4-compatible'),
  range6('64:ff9b::', 96, 'NAT64'),
];

/** Decides whether a remote URL may be fetched (web-download, http store) and where to connect. */
export class RemoteUrlPolicy {
  readonly settings: Readonly<RemoteUrlPolicySettings>;
  private readonly allowedSchemes: ReadonlySet<string>;
  private readonly disallowedSchemes: ReadonlySet<string>;
  private readonly allowedHosts: ReadonlySet<string>;
  private readonly disallowedHosts: ReadonlySet<string>;
  private readonly allowedPorts: ReadonlySet<number>;
  private readonly disallowedPorts: ReadonlySet<number>;

  constructor(
    settings: Partial<RemoteUrlPolicySettings> = {},
    private readonly resolve: HostResolver = (host) => lookup(host, { all: true }),
  ) {
    this.settings = Object.freeze({ ...DEFAULT_REMOTE_URL_POLICY, ...settings });
    const s = this.settings;
    const [allowedSchemes, disallowedSchemes] = [schemeSet(s.allowedSchemes), schemeSet(s.disallowedSchemes)];
    const [allowedHosts, disallowedHosts] = [hostSet(s.allowedHosts, 'allowed_hosts'), hostSet(s.disallowedHosts, 'disallowed_hosts')];
    const [allowedPorts, disallowedPorts] = [portSet(s.allowedPorts, 'allowed_ports'), portSet(s.disallowedPorts, 'disallowed_ports')];
    // An allow list, when set, is the only list of its kind that counts.
    this.allowedSchemes = allowedSchemes;
    this.disallowedSchemes = allowedSchemes.size > 0 ? new Set() : disallowedSchemes;
    this.allowedHosts = allowedHosts;
    this.disallowedHosts = allowedHosts.size > 0 ? new Set() : disallowedHosts;
    this.allowedPorts = allowedPorts;
    this.disallowedPorts = allowedPorts.size > 0 ? new Set() : disallowedPorts;
  }

  /**
   * Checks scheme, host and port, resolves the host and checks every address it has.
   * Refusals are StoreError forbidden_url; a URL that cannot be parsed or a host that does not
   * resolve is invalid_location; a resolver that cannot answer now is unavailable.
   */
  async check(location: string): Promise<ResolvedTarget> {
    let url: URL;
    try {
      url = new URL(location);
    } catch {
      throw new StoreError('invalid_location', 'The URL is not valid.');
    }
    const shown = describeUrl(url);
    const scheme = url.protocol.slice(0, -1);
    if ((this.allowedSchemes.size > 0 && !this.allowedSchemes.has(scheme)) || this.disallowedSchemes.has(scheme)) {
      throw refused(shown, `the scheme ${scheme} is not allowed`);
    }
    const host = canonicalHost(url.hostname);
    if (!host) throw refused(shown, 'it names no host');
    const port = url.port ? Number(url.port) : DEFAULT_PORTS[scheme];
    if (port === undefined) throw refused(shown, `it names no port and ${scheme} has no default port`);
    if ((this.allowedPorts.size > 0 && !this.allowedPorts.has(port)) || this.disallowedPorts.has(port)) {
      throw refused(shown, `the port ${port} is not allowed`);
    }
    if (this.allowedHosts.size > 0 && !this.allowedHosts.has(host)) throw refused(shown, `the host ${host} is not allowed`);
    if (this.disallowedHosts.has(host)) throw refused(shown, `the host ${host} is not allowed`);

    const addresses = await this.addressesOf(host, shown);
    // A host on a non-empty allow list is trusted wherever it points.
    const checkAddresses = this.allowedHosts.size === 0 && !this.settings.allowPrivateAddresses;
    for (const { address } of addresses) {
      const canonical = canonicalHost(address) ?? address;
      if (this.disallowedHosts.has(canonical)) throw refused(shown, `${host} resolves to ${address}, which is not allowed`);
      const kind = checkAddresses ? specialKindOf(address) : null;
      if (kind) throw refused(shown, `${host} resolves to ${address}, a ${kind} address`);
    }
    const [first] = addresses;
    return {
      url,
      host,
      port,
      address: first.address,
      family: first.family === 6 ? 6 : 4,
      addresses,
      lookup: pinnedLookup(addresses),
    };
  }

  private async addressesOf(host: string, shown: string): Promise<readonly LookupAddress[]> {
    const family = isIP(host);
    if (family !== 0) return [{ address: host, family }];
    let addresses: readonly LookupAddress[];
    try {
      addresses = await this.resolve(host);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException)?.code;
      if (code === 'ENOTFOUND' || code === 'ENODATA') {
        throw new StoreError('invalid_location', `The host of ${shown} does not resolve.`);
      }
      throw new StoreError('unavailable', `The host of ${shown} could not be resolved: ${(error as Error).message}`);
    }
    if (addresses.length === 0) throw new StoreError('invalid_location', `The host of ${shown} does not resolve.`);
    return addresses;
  }
}

/** A lookup for node:net that answers with these addresses only. */
export function pinnedLookup(addresses: readonly LookupAddress[]): LookupFunction {
  const pinned = addresses.map(({ address, family }) => ({ address, family }));
  return (_hostname, options, callback) => {
    const family = options.family === 'IPv4' ? 4 : options.family === 'IPv6' ? 6 : options.family;
    const wanted = family === 4 || family === 6 ? pinned.filter((a) => a.family === family) : pinned;
    if (wanted.length === 0) {
      const error: NodeJS.ErrnoException = new Error(`No checked IPv${family} address`);
      error.code = 'ENOTFOUND';
      return callback(error, '', undefined);
    }
    if (options.all) callback(null, wanted);
    else callback(null, wanted[0].address, wanted[0].family);
  };
}

/**
 * Why an address must not be fetched from ("loopback", "private", …), or null for a public one.
 * IPv6 forms that carry an IPv4 address (mapped, compatible, NAT64) are judged by that address.
 */
export function specialKindOf(address: string): string | null {
  const family = isIP(address);
  if (family === 4) return kindIn(V4_SPECIAL, ipv4Bits(address), V4_BITS);
  if (family !== 6) return 'malformed';
  const bits = ipv6Bits(address);
  if (bits === null) return 'malformed';
  const own = kindIn(V6_SPECIAL, bits, V6_BITS);
  if (own) return own;
  for (const embedding of V6_EMBEDDING_V4) {
    if (inRange(embedding, bits, V6_BITS)) {
      const inner = kindIn(V4_SPECIAL, bits & 0xffffffffn, V4_BITS);
      if (inner) return `${embedding.kind} ${inner}`;
    }
  }
  return null;
}

/** The form the host lists compare: WHATWG URL's (IPv4 in dotted quad, IPv6 compressed), lower case, no trailing dot. */
export function canonicalHost(host: string): string | null {
  const bare = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  if (!bare) return null;
  try {
    const parsed = new URL(`http://${bare.includes(':') ? `[${bare}]` : bare}/`).hostname;
    const unbracketed = parsed.startsWith('[') ? parsed.slice(1, -1) : parsed;
    return unbracketed.endsWith('.') ? unbracketed.slice(0, -1) : unbracketed;
  } catch {
    return null;
  }
}

/** A URL as error messages show it: no credentials, no query (it may hold a signature). */
export function describeUrl(url: URL): string {
  return `${url.protocol}//${url.host}${url.pathname}`;
}

function refused(shown: string, why: string): StoreError {
  return new StoreError('forbidden_url', `The URL ${shown} is not allowed: ${why}.`);
}

function schemeSet(schemes: readonly string[]): ReadonlySet<string> {
  return new Set(schemes.map((s) => s.trim().toLowerCase().replace(/:$/, '')).filter((s) => s.length > 0));
}

function hostSet(hosts: readonly string[], option: string): ReadonlySet<string> {
  return new Set(
    hosts.map((entry) => {
      const host = canonicalHost(entry.trim());
      if (!host) throw new Error(`[import_filtering_opts] ${option}: "${entry}" is not a host name or address`);
      return host;
    }),
  );
}

function portSet(ports: readonly number[], option: string): ReadonlySet<number> {
  for (const port of ports) {
    if (!Number.isInteger(port) || port < 1 || port > 65535) {
      throw new Error(`[import_filtering_opts] ${option}: ${port} is not a port (1-65535)`);
    }
  }
  return new Set(ports);
}

function kindIn(ranges: readonly AddressRange[], bits: bigint, width: number): string | null {
  return ranges.find((r) => inRange(r, bits, width))?.kind ?? null;
}

function inRange(r: AddressRange, bits: bigint, width: number): boolean {
  const shift = BigInt(width - r.prefix);
  return bits >> shift === r.base >> shift;
}

function range4(base: string, prefix: number, kind: string): AddressRange {
  return { base: ipv4Bits(base), prefix, kind };
}

function range6(base: string, prefix: number, kind: string): AddressRange {
  const bits = ipv6Bits(base);
  if (bits === null) throw new Error(`bad IPv6 range ${base}`);
  return { base: bits, prefix, kind };
}

function ipv4Bits(address: string): bigint {
  return address.split('.').reduce((bits, octet) => (bits << 8n) | BigInt(Number(octet)), 0n);
}

/** The 128 bits of an IPv6 address (zone dropped, a dotted-quad tail accepted), or null. */
function ipv6Bits(text: string): bigint | null {
  let address = text.split('%')[0].toLowerCase();
  const tailStart = address.lastIndexOf(':') + 1;
  const tail = address.slice(tailStart);
  if (tail.includes('.')) {
    if (isIP(tail) !== 4) return null;
    const v4 = ipv4Bits(tail);
    address = `${address.slice(0, tailStart)}${(v4 >> 16n).toString(16)}:${(v4 & 0xffffn).toString(16)}`;
  }
  const halves = address.split('::');
  if (halves.length > 2) return null;
  const groupsOf = (half: string) => (half === '' ? [] : half.split(':'));
  const head = groupsOf(halves[0]);
  const rest = halves.length === 2 ? groupsOf(halves[1]) : [];
  const missing = 8 - head.length - rest.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return null;
  const groups = [...head, ...Array<string>(halves.length === 2 ? missing : 0).fill('0'), ...rest];
  let bits = 0n;
  for (const group of groups) {
    if (!/^[0-9a-f]{1,4}$/.test(group)) return null;
    bits = (bits << 16n) | BigInt(parseInt(group, 16));
  }
  return bits;
}
