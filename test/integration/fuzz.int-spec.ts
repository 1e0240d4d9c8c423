import * as fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { Agent, type OutgoingHttpHeaders, request } from 'node:http';
import { type RunningGlimpse, startGlimpse } from '../support/glimpse';
import { ADMIN, ALICE, BOB, type Identity, api, identityHeaders, upload } from '../support/http';

/**
 * Property-based fuzzing of every route of a running Glimpse: random and malformed methods,
 * paths, query strings, headers and bodies must never produce a 5xx, kill the process, or log
 * an unhandled error. FUZZ_SEED, FUZZ_RUNS (total) and FUZZ_SHRINK=1 reproduce or dig deeper.
 */

const SEED = Number(process.env['FUZZ_SEED'] ?? 20261202);
const TOTAL_RUNS = Number(process.env['FUZZ_RUNS'] ?? 10000);
const SHRINK = process.env['FUZZ_SHRINK'] === '1';
const STATS = process.env['FUZZ_STATS'] === '1';
const REQUEST_TIMEOUT_MS = 15000;
/** Seeded images are recreated this often, so that DELETEs and deactivations do not starve the rest. */
const RESEED_EVERY = 750;
const SIZE_CAP = 65536;

const CAROL: Identity = { project: 'project-c', roles: ['member', 'reader'], user: 'carol' };
const READER: Identity = { project: ALICE.project, roles: ['reader'], user: 'alice-reader' };

/** Methods Glance routes at all; any other is 501 there (glance/common/wsgi.py Router._dispatch). */
const STANDARD_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'];
const ODD_METHODS = ['OPTIONS', 'TRACE', 'PROPFIND', 'MKCOL', 'PURGE', 'LOCK', 'SEARCH', 'REPORT', 'LINK', 'QUERY', 'FOO', 'get', 'X-GARBAGE!'];

const SLOTS = ['queued', 'unformatted', 'active', 'shared', 'deactivated', 'protected', 'bobPrivate', 'adminPublic', 'community'] as const;
type Slot = (typeof SLOTS)[number] | 'fresh';
/** `fresh` is a new queued image (raw/bare, Alice's) created when the request is sent. */
const FRESH = '{{@fresh}}';
/** Ids the fuzzer may give POST /v2/images, and that paths also use, so created images get hit. */
const FIXED_IDS = ['5eed0000-0000-4000-8000-000000000001', '5eed0000-0000-4000-8000-000000000002', '5EED0000-0000-4000-8000-000000000003'];
const PROJECTS = ['project-a', 'project-b', 'project-c', 'admin-project'];

// ---------------------------------------------------------------------------------------------
// Requests as plain data (slots are resolved to the current seeded ids when sent)

type Body =
  | { kind: 'bytes'; data: Buffer }
  | { kind: 'big'; size: number }
  /** open × n, middle, close × n: JSON nested n deep. */
  | { kind: 'deep'; open: string; middle: string; close: string; n: number };
type BodyMode = 'length' | 'chunked';

interface FuzzRequest {
  method: string;
  path: string;
  headers: [string, string][];
  body: Body | null;
  mode: BodyMode;
}

const slotToken = (slot: Slot, upper = false) => `{{@${slot}${upper ? ':upper' : ''}}}`;

// Characters Node's client accepts in a request target are \x21-\xff; header values \t\x20-\x7e\x80-\xff.
function pathChars(text: string, keep = ''): string {
  let out = '';
  for (const ch of text) {
    const code = ch.codePointAt(0) ?? 0;
    if (code >= 0x21 && code <= 0x7e && !'/?#'.includes(ch)) out += ch;
    else if (keep.includes(ch)) out += ch;
    else if (code >= 0xa0 && code <= 0xff) out += ch; // raw latin-1 bytes on the wire
    else out += [...Buffer.from(ch, 'utf8')].map((b) => `%${b.toString(16).toUpperCase().padStart(2, '0')}`).join('');
  }
  return out;
}

function percentAll(text: string): string {
  return [...Buffer.from(text, 'utf8')]
    .map((b) => (/[A-Za-z0-9_.~-]/.test(String.fromCharCode(b)) ? String.fromCharCode(b) : `%${b.toString(16).toUpperCase().padStart(2, '0')}`))
    .join('');
}

function headerValue(text: string): string {
  let out = '';
  for (const ch of text) {
    const code = ch.codePointAt(0) ?? 0;
    if (code === 0x09 || (code >= 0x20 && code <= 0x7e) || (code >= 0x80 && code <= 0xff)) out += ch;
    else out += '?';
  }
  return out;
}

const json = (value: unknown) => JSON.stringify(value) ?? 'null';
/** An object literal from entries, so that __proto__ and duplicate keys really reach the server. */
const objectText = (entries: [string, string][]) => `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${v}`).join(',')}}`;
const bytes = (text: string): Body => ({ kind: 'bytes', data: Buffer.from(text, 'utf8') });

// ---------------------------------------------------------------------------------------------
// Building blocks

const hostile = fc.constantFrom(
  'in:', 'in:a,b', 'in:"a,b",c', 'in:"unclosed', 'in:"a"b,c', 'in:,', 'eq:', 'eq:x', 'neq:x', 'gt:1', 'gte:', 'lt:x', 'lte:2020-01-01', 'foo:bar',
  "'", '"', "'; DROP TABLE images; --", '%', '%00', '\u0000', '\u00ff', '日本語', '🙂', '\uFEFF', '\r\n', '\\',
  '99999999999999999999999', '9007199254740993', '2147483648', '-1', '-0', '0', '1e3', '0x10', '1.5', 'NaN', 'Infinity', '+1',
  '', ' ', 'true', 'false', 'TRUE', 'null', 'undefined', '__proto__', 'constructor', 'toString', 'hasOwnProperty',
  'created_at', 'name', 'name:asc', 'name:sideways', 'name:asc,size:desc,id', ':asc', ',', ':', ',,', 'size:', 'bogus_key',
  'asc', 'desc', 'DESC', 'public', 'private', 'shared', 'community', 'all', 'pending', 'accepted', 'rejected', 'active', 'queued',
  'deactivated', 'killed', 'deleted', 'raw', 'qcow2', 'bare',
  '2020-01-01T00:00:00Z', '2020-01-01', '2020-01-01 10:00', 'gte:2999-12-31T23:59:59Z', 'lt:2020-01-01T00:00:00+05:30',
  'eq:2020-13-45T99:99:99Z', '0000-00-00', '2020-02-30T00:00:00Z', '9999-99-99', 'gt:275760-09-13T00:00:00Z', 'in:2020-01-01',
  'x'.repeat(300), 'a,'.repeat(200), ...FIXED_IDS,
);

const garbage = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 20 }),
  fc.constantFrom(
    '..', '.', '%', '%zz', '%00', '%2F', '%2f..%2f', '%2e%2e', '%E0%A4%A', '%C0%AF', '%FF%FE', '%u0041', '~', '+', ';', '*', "'", '"',
    '<script>', 'null', 'undefined', '__proto__', 'constructor', 'hasOwnProperty', 'toString', 'caf\u00e9', '\u00ff\u00fe',
    '00000000-0000-0000-0000-000000000000', 'ffffffff-ffff-ffff-ffff-ffffffffffff', '5eed0000-0000-4000-8000-00000000000',
  ),
);
const pctJunk = fc
  .uint8Array({ minLength: 1, maxLength: 30 })
  .map((b) => [...b].map((x) => `%${x.toString(16).toUpperCase().padStart(2, '0')}`).join(''));
const longSegment = fc
  .tuple(fc.integer({ min: 256, max: 6000 }), fc.constantFrom('a', '%41', '-', 'é', '0', '%'))
  .map(([n, c]) => c.repeat(Math.ceil(n / c.length)));

const segment = (base: fc.Arbitrary<string>) =>
  fc.oneof(
    { weight: 40, arbitrary: base },
    { weight: 3, arbitrary: garbage.map((g) => pathChars(g)) },
    { weight: 1, arbitrary: garbage.map(percentAll) },
    { weight: 2, arbitrary: pctJunk },
    { weight: 1, arbitrary: longSegment },
  );

const imageId = segment(
  fc.oneof(
    { weight: 16, arbitrary: fc.constantFrom(...SLOTS).map((s) => slotToken(s)) },
    { weight: 3, arbitrary: fc.constant(FRESH) },
    { weight: 1, arbitrary: fc.constantFrom(...SLOTS).map((s) => slotToken(s, true)) },
    { weight: 3, arbitrary: fc.constantFrom(...FIXED_IDS) },
    { weight: 1, arbitrary: fc.uuid() },
  ),
);
const memberId = segment(fc.constantFrom(...PROJECTS, 'project-z', ''));
const tag = segment(fc.constantFrom('a', 'b', 'fuzz', 'with%20space', 'x'.repeat(255), 'x'.repeat(256), 'é', '%C3%A9', 'a%2Fb'));
const action = segment(fc.constantFrom('deactivate', 'reactivate', 'bogus', 'DEACTIVATE', ''));
const schemaName = segment(fc.constantFrom('image', 'images', 'member', 'members', 'bogus', 'task', 'metadefs'));

interface Route {
  template: string;
  methods: string[];
}

const ROUTES: Route[] = [
  { template: '/', methods: ['GET'] },
  { template: '/versions', methods: ['GET'] },
  { template: '/healthcheck', methods: ['GET', 'HEAD'] },
  { template: '/v1/images', methods: ['GET', 'POST'] },
  { template: '/v1/images/{id}', methods: ['GET', 'HEAD', 'PUT', 'DELETE'] },
  { template: '/v3/images', methods: ['GET'] },
  { template: '/v2', methods: ['GET'] },
  { template: '/v2/images', methods: ['GET', 'POST'] },
  { template: '/v2/images/{id}', methods: ['GET', 'PATCH', 'DELETE'] },
  { template: '/v2/images/{id}/file', methods: ['GET', 'PUT'] },
  { template: '/v2/images/{id}/tags/{tag}', methods: ['PUT', 'DELETE'] },
  { template: '/v2/images/{id}/members', methods: ['GET', 'POST'] },
  { template: '/v2/images/{id}/members/{member}', methods: ['GET', 'PUT', 'DELETE'] },
  { template: '/v2/images/{id}/actions/{action}', methods: ['POST'] },
  { template: '/v2/images/{id}/import', methods: ['POST'] },
  { template: '/v2/images/{id}/stage', methods: ['PUT'] },
  { template: '/v2/images/{id}/tasks', methods: ['GET'] },
  { template: '/v2/images/{id}/locations', methods: ['GET', 'POST'] },
  { template: '/v2/schemas/{schema}', methods: ['GET'] },
  { template: '/v2/info/usage', methods: ['GET'] },
  { template: '/v2/info/import', methods: ['GET'] },
  { template: '/v2/info/stores', methods: ['GET'] },
];
/** How often each route is picked by the targeted property (the image routes matter most). */
const ROUTE_WEIGHT: Record<string, number> = {
  '/v2/images': 8, '/v2/images/{id}': 10, '/v2/images/{id}/file': 8, '/v2/images/{id}/tags/{tag}': 4,
  '/v2/images/{id}/members': 5, '/v2/images/{id}/members/{member}': 5, '/v2/images/{id}/actions/{action}': 4,
  '/v2/schemas/{schema}': 2, '/v2/info/usage': 2,
};

function pathFor(template: string): fc.Arbitrary<string> {
  const parts = template.split(/(\{[a-z]+\})/).filter(Boolean);
  const arbs = parts.map((part) => {
    switch (part) {
      case '{id}': return imageId;
      case '{tag}': return tag;
      case '{member}': return memberId;
      case '{action}': return action;
      case '{schema}': return schemaName;
      default: return fc.constant(part);
    }
  });
  return fc
    .tuple(fc.tuple(...arbs), fc.oneof({ weight: 20, arbitrary: fc.constant('') }, { weight: 1, arbitrary: fc.constantFrom('/', '//', '/.', '?') }))
    .map(([pieces, tail]) => pieces.join('') + tail)
    .chain((path) =>
      fc.oneof(
        { weight: 40, arbitrary: fc.constant(path) },
        { weight: 1, arbitrary: fc.constant(path.replace(/^\/v2/, '/v2/')) }, // /v2//images
        { weight: 1, arbitrary: fc.constant(path.replace(/^\/v2/, '/V2')) },
        { weight: 1, arbitrary: fc.constant(path.replace(/^\/v2/, '')) }, // with Accept: images-v2 this is a v2 route
        { weight: 1, arbitrary: fc.constant(`http://glimpse.example${path}`) }, // absolute-form request target
      ),
    );
}

const KNOWN_QUERY_KEYS = [
  'limit', 'marker', 'sort_key', 'sort_dir', 'sort', 'name', 'id', 'status', 'visibility', 'owner', 'tag', 'size_min', 'size_max',
  'checksum', 'os_hash_value', 'os_hidden', 'protected', 'member_status', 'created_at', 'updated_at', 'disk_format',
  'container_format', 'changes-since', 'hw_disk_bus', 'custom', 'prefer',
];
const queryValue = fc.oneof(
  { weight: 6, arbitrary: hostile },
  { weight: 2, arbitrary: fc.constantFrom(...SLOTS).map((s) => slotToken(s)) },
  { weight: 2, arbitrary: fc.string({ maxLength: 30 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 20 }) },
  { weight: 1, arbitrary: fc.integer().map(String) },
  { weight: 1, arbitrary: fc.bigInt({ min: -(10n ** 30n), max: 10n ** 30n }).map(String) },
);
const queryKey = fc.oneof(
  { weight: 8, arbitrary: fc.constantFrom(...KNOWN_QUERY_KEYS) },
  { weight: 1, arbitrary: fc.string({ maxLength: 20 }) },
  { weight: 1, arbitrary: fc.constantFrom('', '__proto__', 'constructor', 'limit[]', 'sort_key[0]', 'a.b', 'os_glance_x') },
);
const plausibleQuery = fc
  .array(
    fc.oneof(
      fc.integer({ min: 0, max: 30 }).map((n) => `limit=${n}`),
      fc.constantFrom(...SLOTS).map((slot) => `marker=${slotToken(slot)}`),
      fc.constantFrom('name', 'status', 'size', 'id', 'created_at', 'updated_at', 'disk_format').map((k) => `sort_key=${k}`),
      fc.constantFrom('asc', 'desc').map((d) => `sort_dir=${d}`),
      fc.constantFrom('name:asc', 'size:desc,id', 'created_at', 'status:asc,name:desc').map((v) => `sort=${encodeURIComponent(v)}`),
      fc.constantFrom('active', 'queued', 'deactivated', 'in:active,queued').map((v) => `status=${encodeURIComponent(v)}`),
      fc.constantFrom('public', 'private', 'shared', 'community', 'all').map((v) => `visibility=${v}`),
      fc.constantFrom('pending', 'accepted', 'rejected', 'all').map((v) => `member_status=${v}`),
      fc.constantFrom('a', 'b', 'fuzz').map((v) => `tag=${v}`),
      fc.constantFrom('true', 'false').map((v) => `os_hidden=${v}`),
      fc.constantFrom('true', 'false').map((v) => `protected=${v}`),
      fc.constantFrom('0', '1024', '2000').map((v) => `size_min=${v}`),
      fc.constantFrom('0', '1024', '99999').map((v) => `size_max=${v}`),
      fc.constantFrom('gte:2000-01-01T00:00:00Z', 'lt:2999-01-01T00:00:00Z', 'neq:2020-01-01T00:00:00Z').map((v) => `created_at=${encodeURIComponent(v)}`),
      fc.constantFrom('fuzz-active', 'in:fuzz-active,fuzz-queued', 'in:"fuzz,x",fuzz-shared').map((v) => `name=${encodeURIComponent(v)}`),
      fc.constantFrom('raw', 'in:raw,qcow2').map((v) => `disk_format=${encodeURIComponent(v)}`),
      fc.constantFrom('virtio', 'ide').map((v) => `hw_disk_bus=${v}`),
      fc.constantFrom(...PROJECTS).map((v) => `owner=${v}`),
    ),
    { minLength: 1, maxLength: 4 },
  )
  .map((pairs) => pairs.join('&'));
const query: fc.Arbitrary<string> = fc.oneof(
  { weight: 5, arbitrary: fc.constant('') },
  { weight: 3, arbitrary: plausibleQuery },
  {
    weight: 3,
    arbitrary: fc
      .array(fc.tuple(queryKey, queryValue, fc.constantFrom('encoded', 'encoded', 'raw', 'bare')), { maxLength: 6 })
      .map((pairs) =>
        pairs
          .map(([k, v, how]) => {
            if (how === 'bare') return pathChars(k, '/?');
            if (how === 'raw') return `${pathChars(k, '/?')}=${pathChars(v, '/?')}`;
            return `${percentAll(k)}=${v.startsWith('{{@') ? v : percentAll(v)}`;
          })
          .join('&'),
      ),
  },
  { weight: 1, arbitrary: fc.constantFrom('&&', '=', '=x', '&=&', '%', '%zz=1', 'limit=1&limit=2', 'sort_key=name&sort_key=size&sort_dir=asc&sort_dir=desc&sort_dir=asc') },
);

// ---------------------------------------------------------------------------------------------
// Headers

const validIdentity = fc.constantFrom(ALICE, ALICE, BOB, ADMIN, READER, CAROL).map((who) => Object.entries(identityHeaders(who)));
const oddValue = fc.oneof(fc.string({ maxLength: 30 }), fc.constantFrom('', ' ', 'admin', 'ADMIN', 'Admin,reader', ',,,', 'x'.repeat(2000)));
const oddIdentity = fc
  .record(
    {
      'X-Identity-Status': fc.oneof(fc.constantFrom('Confirmed', 'Confirmed', 'Invalid', 'confirmed', '', ' Confirmed '), oddValue),
      'X-Project-Id': fc.oneof(fc.constantFrom(...PROJECTS, '', 'é', '%(project_id)s', 'x'.repeat(300)), oddValue),
      'X-Tenant-Id': fc.oneof(fc.constantFrom(...PROJECTS), oddValue),
      'X-User-Id': oddValue,
      'X-Roles': fc.oneof(
        fc.constantFrom('admin', 'member', 'reader', 'member,reader', 'ADMIN', ' Admin ,', '', ',', 'role:admin', 'admin or member', 'x'.repeat(400)),
        fc.array(fc.string({ maxLength: 12 }), { maxLength: 6 }).map((r) => r.join(',')),
      ),
    },
    { requiredKeys: [] },
  )
  .map((h) => Object.entries(h));
const identity = fc.oneof({ weight: 30, arbitrary: validIdentity }, { weight: 3, arbitrary: oddIdentity }, { weight: 1, arbitrary: fc.constant([]) });

const CT_JSON = 'application/json';
const CT_PATCH21 = 'application/openstack-images-v2.1-json-patch';
const CT_PATCH20 = 'application/openstack-images-v2.0-json-patch';
const CT_OCTET = 'application/octet-stream';
const contentType = fc.oneof(
  fc.constantFrom(
    CT_JSON, CT_PATCH21, CT_PATCH20, CT_OCTET, 'application/json; charset=utf-8', `${CT_PATCH21}; charset=utf-8`, 'APPLICATION/OCTET-STREAM',
    ` ${CT_PATCH20} `, 'application/openstack-images-v2.2-json-patch', 'application/json-patch+json', 'text/plain', 'multipart/form-data; boundary=x',
    'application/x-www-form-urlencoded', '', ';', 'application/', '*/*', 'application/octet-stream;', 'application/octet-stream, application/json',
  ),
  fc.string({ maxLength: 30 }),
);
const accept = fc.oneof(
  fc.constantFrom(
    'application/json', 'text/html', 'text/plain', '*/*', 'application/vnd.openstack.images-v2', 'application/vnd.openstack.images-v2.17',
    'application/vnd.openstack.images-v3', 'application/vnd.openstack.images-v1', 'application/json;q=abc, text/html;q=', 'application/json;q=0, text/html;q=0',
    'application/json;q=1e999', 'image/png', ';;;', ',', '',
  ),
  fc.string({ maxLength: 30 }),
);
const rangeHeader = fc.oneof(
  fc.constantFrom(
    'bytes=0-10', 'bytes=-5', 'bytes=5-', 'bytes=0-0', 'bytes=10-5', 'bytes=0-99999999999999999999', 'bytes=-0', 'bytes=', 'bytes=a-b',
    'bytes=0-1,2-3', 'items=0-1', 'bytes = 1 - 2', 'BYTES=1-2', 'bytes=-99999999999999999999999', 'bytes=1e3-', 'bytes=0x10-', 'bytes=-',
    'bytes=1023-', 'bytes=1024-', 'bytes=0-1023', '', 'bytes=99999999999999999999999999999999999999999999999999999999999999-',
  ),
  fc.string({ maxLength: 20 }),
);
const contentRange = fc.oneof(
  fc.constantFrom('bytes 0-10/20', 'bytes 0-10/*', 'bytes 5-1/10', 'bytes */10', 'bytes 0-99999999999999999999/1', 'bytes 1023-1023/1024', 'garbage', ''),
  fc.string({ maxLength: 20 }),
);
const imageSize = fc.oneof(
  fc.constantFrom('0', '1', '1024', '65536', '65537', '99999999999999999999', '-1', 'abc', '', ' 12', '1e3', '1.5', '0x10', '12, 13'),
  fc.nat().map(String),
);
const requestId = fc.oneof(
  fc.nat({ max: 200 }).map((n) => 'r'.repeat(n)),
  fc.constantFrom('req-', 'req-'.repeat(20), 'x'.repeat(60), 'x'.repeat(61), 'x'.repeat(64), 'bad id!', 'é', ''),
  fc.uuid().map((u) => `req-${u}`),
  fc.string({ maxLength: 80 }),
);
const RESERVED_HEADERS = new Set(['host', 'content-length', 'transfer-encoding', 'connection', 'upgrade', 'expect', 'keep-alive', 'te', 'trailer']);
const extraHeader = fc.tuple(
  fc.oneof(
    fc.stringMatching(/^[A-Za-z0-9-]{1,20}$/),
    fc.constantFrom('X-Forwarded-Host', 'X-Forwarded-Proto', 'Forwarded', 'Cookie', 'Authorization', 'X-Auth-Token', 'If-None-Match', 'Accept-Encoding',
      'X-Image-Meta-Name', 'X-Openstack-Image-Size', 'X-Roles', 'X-Identity-Status', 'X-Service-Roles', 'Content-Encoding', 'Content-MD5'),
  ).filter((name) => !RESERVED_HEADERS.has(name.toLowerCase())),
  fc.oneof(fc.string({ maxLength: 40 }), fc.constantFrom('gzip', 'Confirmed', 'admin', '', 'x'.repeat(1000))),
);

interface HeaderPlan {
  contentType?: string;
}

function headersArb(plan: HeaderPlan): fc.Arbitrary<[string, string][]> {
  return fc
    .tuple(
      identity,
      fc.oneof(
        { weight: 8, arbitrary: fc.constant<string | null | undefined>(plan.contentType) },
        { weight: 2, arbitrary: fc.option(contentType, { freq: 3 }) as fc.Arbitrary<string | null | undefined> },
      ),
      fc.option(accept, { freq: 3 }),
      fc.option(rangeHeader, { freq: 5 }),
      fc.option(contentRange, { freq: 10 }),
      fc.option(imageSize, { freq: 6 }),
      fc.option(requestId, { freq: 4 }),
      fc.oneof({ weight: 3, arbitrary: fc.constant([]) }, { weight: 1, arbitrary: fc.array(extraHeader, { maxLength: 3 }) }),
      fc.nat({ max: 199 }),
    )
    .map(([who, ct, acc, range, crange, size, rid, extras, dice]) => {
      const headers: [string, string][] = [...who];
      if (ct !== undefined && ct !== null) headers.push(['Content-Type', ct]);
      if (acc !== null) headers.push(['Accept', acc]);
      if (range !== null) headers.push(['Range', range]);
      if (crange !== null) headers.push(['Content-Range', crange]);
      if (size !== null) headers.push(['x-openstack-image-size', size]);
      if (rid !== null) headers.push(['X-Openstack-Request-Id', rid]);
      headers.push(...extras);
      if (dice === 0) headers.push(['X-Roles', 'member,'.repeat(3000)]); // past Node's 16 KiB header limit: 431
      if (dice === 1) headers.push(['X-Identity-Status', 'Confirmed'], ['X-Project-Id', 'project-b']); // duplicated headers
      return headers.map(([k, v]) => [k, headerValue(v)] as [string, string]);
    });
}

// ---------------------------------------------------------------------------------------------
// Bodies

const IMAGE_KEYS = [
  'name', 'visibility', 'protected', 'os_hidden', 'owner', 'disk_format', 'container_format', 'min_disk', 'min_ram', 'tags', 'id',
  'locations', 'status', 'size', 'checksum', 'self', 'file', 'schema', 'direct_url', 'created_at', 'stores', 'os_glance_foo', 'location',
  'deleted', 'deleted_at', 'constructor', '__proto__', 'toString', 'hasOwnProperty', 'valueOf', 'isPrototypeOf', '', 'p'.repeat(256),
  'custom', 'hw_disk_bus', 'os_hash_value', 'virtual_size',
];
const plausibleValue = fc.constantFrom<unknown>(
  'raw', 'qcow2', 'iso', 'bare', 'ovf', 'bogus', 'public', 'private', 'shared', 'community', 'Public', true, false, 0, -1, 2 ** 31,
  2 ** 31 - 1, 1.5, 1e308, -1e308, Number.MAX_SAFE_INTEGER + 2, null, [], ['a', 'b'], ['a', 'a'], ['t'.repeat(256)], [1], [null], {},
  { a: 1 }, 'n'.repeat(256), 'n'.repeat(255), '', 'é', '\u0000', '🙂', ...FIXED_IDS, ...PROJECTS, 'not-a-uuid', '2020-01-01T00:00:00Z',
);
const anyJson = fc.jsonValue({ maxDepth: 2 });
const value = fc.oneof({ weight: 5, arbitrary: plausibleValue }, { weight: 2, arbitrary: anyJson });
const entry = (keys: fc.Arbitrary<string>) => fc.tuple(keys, value.map(json));

const imageKey = fc.oneof({ weight: 8, arbitrary: fc.constantFrom(...IMAGE_KEYS) }, { weight: 1, arbitrary: fc.string({ maxLength: 20 }) });
const validImageEntry = fc.oneof(
  fc.constantFrom('fuzz', 'fuzz-active', null, '', 'é🙂').map((v) => ['name', json(v)] as [string, string]),
  fc.constantFrom('raw', 'qcow2', 'iso', null).map((v) => ['disk_format', json(v)] as [string, string]),
  fc.constantFrom('bare', 'ovf', null).map((v) => ['container_format', json(v)] as [string, string]),
  fc.constantFrom('private', 'shared', 'community', 'public').map((v) => ['visibility', json(v)] as [string, string]),
  fc.boolean().map((v) => ['protected', json(v)] as [string, string]),
  fc.boolean().map((v) => ['os_hidden', json(v)] as [string, string]),
  fc.integer({ min: 0, max: 100 }).map((v) => ['min_ram', json(v)] as [string, string]),
  fc.integer({ min: 0, max: 100 }).map((v) => ['min_disk', json(v)] as [string, string]),
  fc.subarray(['a', 'b', 'fuzz', 'é']).map((v) => ['tags', json(v)] as [string, string]),
  fc.tuple(fc.constantFrom('custom', 'hw_disk_bus', 'k', 'é'), fc.constantFrom('v', '', 'virtio')).map(([k, v]) => [k, json(v)] as [string, string]),
  fc.constantFrom(...PROJECTS).map((v) => ['owner', json(v)] as [string, string]),
);
const imageObject: fc.Arbitrary<string> = fc
  .tuple(
    fc.record(
      {
        name: fc.constantFrom('fuzz', null, 'n'.repeat(256)),
        disk_format: fc.constantFrom('raw', 'raw', 'qcow2', 'bogus', null),
        container_format: fc.constantFrom('bare', 'bare', 'ovf', 'bogus', null),
      },
      { requiredKeys: [] },
    ),
    fc.array(validImageEntry, { maxLength: 4 }),
    fc.oneof({ weight: 4, arbitrary: fc.constant([]) }, { weight: 1, arbitrary: fc.array(entry(imageKey), { minLength: 1, maxLength: 4 }) }),
    fc.oneof({ weight: 9, arbitrary: fc.constant([]) }, { weight: 1, arbitrary: fc.constantFrom(...FIXED_IDS).map((id) => [['id', json(id)] as [string, string]]) }),
  )
  .map(([base, valid, extra, id]) => [base, [...valid, ...extra, ...id]] as const)
  .map(([base, extra]) => objectText([...Object.entries(base).map(([k, v]) => [k, json(v)] as [string, string]), ...extra]));

const PATCH_PATHS = [
  '/name', '/visibility', '/protected', '/os_hidden', '/owner', '/disk_format', '/container_format', '/min_disk', '/min_ram', '/tags',
  '/id', '/locations', '/status', '/size', '/checksum', '/self', '/file', '/custom', '/hw_disk_bus', '/os_glance_x', '/constructor',
  '/__proto__', '/toString', '/hasOwnProperty', '/valueOf', '/a~1b', '/a~0b', '/a~2b', '/~', '/', '', 'name', '//', '/a/b', '/tags/0',
  '/locations/-', '/locations/0', '/x/', `/${'p'.repeat(256)}`, '/deleted', '/location', '/stores',
];
const patchPath = fc.oneof(
  { weight: 8, arbitrary: fc.constantFrom(...PATCH_PATHS).map(json) },
  { weight: 1, arbitrary: fc.string({ maxLength: 20 }).map((s) => json(`/${s}`)) },
  { weight: 1, arbitrary: anyJson.map(json) },
);
const patchOp = fc.oneof(
  { weight: 8, arbitrary: fc.constantFrom('add', 'remove', 'replace') },
  { weight: 1, arbitrary: fc.constantFrom('move', 'copy', 'test', 'ADD', '', '__proto__', 'constructor') },
);
const op21 = fc
  .tuple(patchOp.map(json), patchPath, fc.option(value.map(json), { freq: 5 }), fc.option(fc.constantFrom('/name', 1, null).map(json), { freq: 8 }), fc.nat({ max: 9 }))
  .map(([op, path, val, from, drop]) => {
    const entries: [string, string][] = [];
    if (drop !== 0) entries.push(['op', op]);
    if (drop !== 1) entries.push(['path', path]);
    if (val !== null) entries.push(['value', val]);
    if (from !== null) entries.push(['from', from]);
    return objectText(entries);
  });
const op20 = fc
  .tuple(fc.array(fc.tuple(patchOp, patchPath), { minLength: 1, maxLength: 2 }), fc.option(value.map(json), { freq: 5 }))
  .map(([ops, val]) => objectText([...ops, ...(val !== null ? [['value', val] as [string, string]] : [])]));
/** Operations Glance would apply to an image the caller may modify. */
const PLAUSIBLE_CHANGES: [string, string, unknown?][] = [
  ['replace', '/name', 'renamed'], ['replace', '/name', null], ['add', '/name', 'added'], ['add', '/custom', 'v'], ['replace', '/custom', 'w'],
  ['remove', '/custom'], ['add', '/hw_disk_bus', 'ide'], ['remove', '/hw_disk_bus'], ['replace', '/tags', ['a', 'fuzz']], ['replace', '/tags', []],
  ['add', '/min_ram', 512], ['replace', '/min_disk', 1], ['replace', '/visibility', 'private'], ['replace', '/visibility', 'shared'],
  ['replace', '/visibility', 'community'], ['replace', '/visibility', 'public'], ['replace', '/protected', false], ['replace', '/protected', true],
  ['replace', '/os_hidden', true], ['replace', '/os_hidden', false], ['replace', '/disk_format', 'qcow2'], ['replace', '/container_format', 'ovf'],
  ['replace', '/owner', 'project-b'], ['add', '/a~1b', 'slash'], ['add', '/é', 'unicode'],
];
const plausible21 = fc
  .constantFrom(...PLAUSIBLE_CHANGES)
  .map(([op, path, v]) => objectText([['op', json(op)], ['path', json(path)], ...(op === 'remove' ? [] : [['value', json(v)] as [string, string]])]));
const plausible20 = fc
  .constantFrom(...PLAUSIBLE_CHANGES)
  .map(([op, path, v]) => objectText([[op, json(path)], ...(op === 'remove' ? [] : [['value', json(v)] as [string, string]])]));
const patchArray = (op: fc.Arbitrary<string>, plausible: fc.Arbitrary<string> = fc.constant('{}')) =>
  fc
    .array(fc.oneof({ weight: 12, arbitrary: plausible }, { weight: 3, arbitrary: op }, { weight: 1, arbitrary: anyJson.map(json) }), { maxLength: 3 })
    .map((ops) => `[${ops.join(',')}]`);

const memberBody = fc
  .tuple(
    fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...PROJECTS, 'project-z', '', ' ', 'é').map(json) }, { weight: 1, arbitrary: value.map(json) }),
    fc.oneof({ weight: 4, arbitrary: fc.constant([]) }, { weight: 1, arbitrary: fc.array(entry(fc.string({ maxLength: 8 })), { maxLength: 2 }) }),
  )
  .map(([m, extra]) => objectText([['member', m], ...extra]));
const statusBody = fc
  .tuple(
    fc.oneof({ weight: 4, arbitrary: fc.constantFrom('accepted', 'pending', 'rejected', 'ACCEPTED', '').map(json) }, { weight: 1, arbitrary: value.map(json) }),
    fc.oneof({ weight: 4, arbitrary: fc.constant([]) }, { weight: 1, arbitrary: fc.array(entry(fc.string({ maxLength: 8 })), { maxLength: 2 }) }),
  )
  .map(([m, extra]) => objectText([['status', m], ...extra]));

const junkText = fc.constantFrom(
  '{', '[', '{"a":}', 'nul', '\uFEFF{}', "{'a':1}", '{"a":1}}', 'NaN', '1', '"str"', 'true', 'null', '[]', '{}', '   ', '\u0000',
  '[{"op":"add","path":"/name","value":"x"}', '{"name": "\ud800"}', '{"__proto__": {"polluted": true}}', '{"member": null}', '[null]', '[[]]',
);

function bodyFor(kind: 'image' | 'patch21' | 'patch20' | 'member' | 'status' | 'data' | 'any'): fc.Arbitrary<Body | null> {
  const text = (arb: fc.Arbitrary<string>) => arb.map(bytes);
  const truncated = (arb: fc.Arbitrary<string>) => fc.tuple(arb, fc.nat()).map(([t, n]) => bytes(t.slice(0, n % Math.max(1, t.length))));
  const binary = fc.uint8Array({ maxLength: 2048 }).map((b): Body => ({ kind: 'bytes', data: Buffer.from(b) }));
  const deep = fc
    .tuple(fc.integer({ min: 100, max: 20000 }), fc.constantFrom('[', '{"a":', '[{"op":"add","path":"/x","value":'))
    .map(([n, open]): Body => ({ kind: 'deep', open, middle: '1', close: open === '[' ? ']' : open === '{"a":' ? '}' : '}]', n }));
  const chaos = fc.oneof(
    { weight: 3, arbitrary: fc.constant(null) },
    { weight: 1, arbitrary: fc.constant(bytes('')) },
    { weight: 2, arbitrary: text(junkText) },
    { weight: 2, arbitrary: binary },
    { weight: 2, arbitrary: text(anyJson.map(json)) },
    { weight: 1, arbitrary: truncated(fc.oneof(imageObject, patchArray(op21), memberBody)) },
    { weight: 1, arbitrary: deep },
    { weight: 1, arbitrary: text(fc.oneof(imageObject, patchArray(op21), patchArray(op20), memberBody, statusBody)) },
  );
  const targeted: Record<typeof kind, fc.Arbitrary<Body | null>> = {
    image: text(imageObject),
    patch21: text(patchArray(op21, plausible21)),
    patch20: text(patchArray(op20, plausible20)),
    member: text(memberBody),
    status: text(statusBody),
    data: fc.oneof(
      { weight: 12, arbitrary: binary },
      { weight: 1, arbitrary: fc.constant<Body>({ kind: 'big', size: SIZE_CAP + 1 + 4096 }) },
      { weight: 1, arbitrary: fc.constant<Body>({ kind: 'big', size: SIZE_CAP }) },
      { weight: 1, arbitrary: fc.constant(bytes('')) },
    ),
    any: chaos,
  };
  return kind === 'any' ? chaos : fc.oneof({ weight: 8, arbitrary: targeted[kind] }, { weight: 2, arbitrary: chaos });
}

/** What a well-formed request to this route and method would carry. */
function planOf(template: string, method: string): { contentType?: string; body: Parameters<typeof bodyFor>[0] | null } {
  if (template === '/v2/images' && method === 'POST') return { contentType: CT_JSON, body: 'image' };
  if (template === '/v2/images/{id}' && method === 'PATCH') return { contentType: CT_PATCH21, body: 'patch21' };
  if (template.endsWith('/file') && method === 'PUT') return { contentType: CT_OCTET, body: 'data' };
  if (template.endsWith('/members') && method === 'POST') return { contentType: CT_JSON, body: 'member' };
  if (template.endsWith('/members/{member}') && method === 'PUT') return { contentType: CT_JSON, body: 'status' };
  return { body: null };
}

const allMethods = fc.oneof({ weight: 8, arbitrary: fc.constantFrom(...STANDARD_METHODS) }, { weight: 2, arbitrary: fc.constantFrom(...ODD_METHODS) });

function assemble(method: string, path: string, q: string, headers: [string, string][], body: Body | null, mode: BodyMode): FuzzRequest {
  const joined = q === '' ? path : `${path}${path.endsWith('?') ? '' : '?'}${q}`;
  // Whatever a segment held, what goes on the wire is what Node's client can send.
  const target = [...joined].map((ch) => (/[\u0021-\u00ff]/.test(ch) ? ch : pathChars(ch))).join('');
  return withSummary({ method, path: target, headers, body, mode });
}

/** fast-check prints counterexamples with this: short, where the bodies can be 60 KB. */
function withSummary(r: FuzzRequest): FuzzRequest {
  return Object.assign(r, {
    [fc.toStringMethod]: () =>
      `${r.method} ${r.path.length > 300 ? `${r.path.slice(0, 300)}…` : r.path} [${r.headers.length} headers] ${bodySummary(r.body)} (${r.mode})`,
  });
}

/** A request aimed at one route: mostly its own methods, content types and bodies, sometimes not. */
const targetedRequest: fc.Arbitrary<FuzzRequest> = fc
  .constantFrom(...ROUTES.flatMap((r) => Array<Route>(ROUTE_WEIGHT[r.template] ?? 1).fill(r)))
  .chain((route) =>
    fc.oneof({ weight: 8, arbitrary: fc.constantFrom(...route.methods) }, { weight: 2, arbitrary: allMethods }).chain((method) => {
      const plan = planOf(route.template, method);
      // PATCH bodies follow the dialect their Content-Type names.
      const patch20 = fc.boolean();
      return fc
        .tuple(pathFor(route.template), query, patch20, fc.constantFrom<BodyMode>('length', 'length', 'chunked'))
        .chain(([path, q, old, mode]) =>
          fc
            .tuple(
              headersArb({ contentType: plan.body === 'patch21' && old ? CT_PATCH20 : plan.contentType }),
              plan.body ? bodyFor(plan.body === 'patch21' && old ? 'patch20' : plan.body) : fc.oneof({ weight: 4, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: bodyFor('any') }),
            )
            .map(([headers, body]) => assemble(method, path, q, headers, body, mode)),
        );
    }),
  );

/** Anything at all: any method on any route with any headers and body. */
const chaosRequest: fc.Arbitrary<FuzzRequest> = fc
  .tuple(
    allMethods,
    fc.oneof(
      { weight: 8, arbitrary: fc.constantFrom(...ROUTES).chain((r) => pathFor(r.template)) },
      { weight: 1, arbitrary: fc.array(segment(fc.constantFrom('v2', 'images', 'schemas', 'info', 'members', 'tags', 'file')), { maxLength: 6 }).map((s) => `/${s.join('/')}`) },
      { weight: 1, arbitrary: fc.constantFrom('*', '/%', '/..', '/../v2/images', '/v2/images/..', '/v2/images/%2e%2e', '//', '/v2/images#frag', '/?', '/v2/images?%') },
    ),
    query,
    headersArb({ contentType: undefined }),
    bodyFor('any'),
    fc.constantFrom<BodyMode>('length', 'chunked'),
  )
  .map(([method, path, q, headers, body, mode]) => assemble(method, path, q, headers, body, mode));

/** The data path: uploads (sizes, headers, chunking) and ranged downloads of every seeded image. */
const dataRequest: fc.Arbitrary<FuzzRequest> = fc
  .tuple(
    fc.constantFrom('PUT', 'PUT', 'GET', 'GET', 'HEAD'),
    fc.oneof(
      { weight: 6, arbitrary: fc.constantFrom(...SLOTS, ...FIXED_IDS).map((s) => (s.includes('-') ? s : slotToken(s as Slot))) },
      { weight: 3, arbitrary: fc.constant(FRESH) },
      { weight: 1, arbitrary: imageId },
    ),
    fc.option(query, { freq: 6 }),
    headersArb({ contentType: CT_OCTET }),
    bodyFor('data'),
    fc.constantFrom<BodyMode>('length', 'chunked'),
    fc.nat({ max: 5 }),
  )
  .map(([method, id, q, headers, body, mode, lie]) => {
    const hs = headers.filter(([k]) => k.toLowerCase() !== 'x-openstack-image-size' || lie > 2);
    const size = body ? bodyBuffer(body).length : 0;
    if (lie === 0) hs.push(['x-openstack-image-size', String(size)]);
    if (lie === 1) hs.push(['x-openstack-image-size', String(size + 1)]);
    return assemble(method, `/v2/images/${id}/file`, q ?? '', hs, method === 'PUT' ? body : null, mode);
  });

// ---------------------------------------------------------------------------------------------
// Sending

interface Outcome {
  status?: number;
  body?: Buffer;
  error?: NodeJS.ErrnoException;
}

function bodyBuffer(body: Body): Buffer {
  if (body.kind === 'bytes') return body.data;
  if (body.kind === 'big') return Buffer.alloc(body.size, 0x61);
  return Buffer.from(body.open.repeat(body.n) + body.middle + body.close.repeat(body.n), 'utf8');
}

function bodySummary(body: Body | null): string {
  if (!body) return 'no body';
  if (body.kind === 'big') return `${body.size} bytes of "a"`;
  if (body.kind === 'deep') return `${body.open}×${body.n} ${body.middle} ${body.close}×${body.n}`;
  const text = body.data.toString('utf8');
  return `${body.data.length} bytes ${JSON.stringify(text.length > 200 ? `${text.slice(0, 200)}…` : text)}`;
}

function send(base: URL, r: FuzzRequest, agent: Agent | false): Promise<Outcome> {
  return new Promise((resolve) => {
    const headers: OutgoingHttpHeaders = {};
    for (const [name, v] of r.headers) {
      const existing = headers[name];
      headers[name] = existing === undefined ? v : [...(Array.isArray(existing) ? existing : [String(existing)]), v];
    }
    const payload = r.body ? bodyBuffer(r.body) : null;
    if (payload) {
      if (r.mode === 'chunked') headers['Transfer-Encoding'] = 'chunked';
      else headers['Content-Length'] = String(payload.length);
    }
    let settled = false;
    const done = (outcome: Outcome) => {
      if (!settled) {
        settled = true;
        resolve(outcome);
      }
    };
    const req = request(
      { host: base.hostname, port: base.port, method: r.method, path: r.path, headers, agent, timeout: REQUEST_TIMEOUT_MS },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => done({ status: res.statusCode, body: Buffer.concat(chunks) }));
        res.on('error', (error) => done({ status: res.statusCode, error }));
        res.on('aborted', () => done({ status: res.statusCode, error: Object.assign(new Error('response aborted'), { code: 'ECONNRESET' }) }));
      },
    );
    req.on('timeout', () => {
      req.destroy(Object.assign(new Error(`no answer within ${REQUEST_TIMEOUT_MS} ms`), { code: 'ETIMEDOUT' }));
    });
    req.on('error', (error) => done({ error }));
    if (payload) {
      if (r.mode === 'chunked' && payload.length > 1) {
        req.write(payload.subarray(0, payload.length >> 1));
        req.end(payload.subarray(payload.length >> 1));
      } else req.end(payload);
    } else req.end();
  });
}

const shellQuote = (text: string) => `'${text.replace(/'/g, `'\\''`)}'`;

/** The request as a command line that sends the same bytes. */
function curlLine(base: string, r: FuzzRequest): string {
  const url = /^https?:/.test(r.path) ? `${base}${new URL(r.path).pathname}${new URL(r.path).search}` : `${base}${r.path}`;
  const parts = ['curl -sS -g --path-as-is', r.method === 'HEAD' ? '-I' : `-X ${shellQuote(r.method)}`];
  if (r.path === '*' || /^https?:/.test(r.path)) parts.push(`--request-target ${shellQuote(r.path)}`);
  parts.push(shellQuote(url));
  for (const [name, v] of r.headers) parts.push(`-H ${shellQuote(`${name}: ${v}`)}`);
  if (!r.body) return parts.join(' ');
  if (r.mode === 'chunked') parts.push(`-H 'Transfer-Encoding: chunked'`);
  parts.push('--data-binary @-');
  if (r.body.kind === 'big') return `head -c ${r.body.size} /dev/zero | tr '\\0' a | ${parts.join(' ')}`;
  if (r.body.kind === 'deep') {
    const { open, middle, close, n } = r.body;
    return `python3 -c ${shellQuote(`import sys; sys.stdout.write(${JSON.stringify(open)}*${n}+${JSON.stringify(middle)}+${JSON.stringify(close)}*${n})`)} | ${parts.join(' ')}`;
  }
  let printable = '';
  for (const b of r.body.data) {
    const ch = String.fromCharCode(b);
    if (b >= 0x20 && b < 0x7f && ch !== '\\' && ch !== "'" && ch !== '%') printable += ch;
    else printable += `\\${b.toString(8).padStart(3, '0')}`;
  }
  return `printf '${printable}' | ${parts.join(' ')}`;
}

/** The route template a request path falls on (for the statistics only). */
function routeOf(path: string): string {
  const p = path.replace(/^https?:\/\/[^/]+/, '').split('?')[0].replace(/\/+$/, '') || '/';
  return p
    .replace(/^\/v2\/images\/[^/]+/, '/v2/images/{id}')
    .replace(/\/(tags|members)\/[^/]+$/, '/$1/{x}')
    .replace(/^\/v2\/schemas\/[^/]+$/, '/v2/schemas/{s}')
    .slice(0, 60);
}

// eslint-disable-next-line no-control-regex -- the escape is what colours Nest's log
const stripAnsi = (text: string) => text.replace(/\x1b\[[0-9;]*m/g, '');
/** ERROR lines (GlanceErrorFilter logs every 500 with its stack) and unhandled failures. */
/** Error-level lines of the JSON log, and anything else that reads like a crash. */
const errorLines = (log: string) =>
  stripAnsi(log)
    .split('\n')
    .filter((line) => {
      if (line.startsWith('{')) {
        try {
          const { level } = JSON.parse(line) as { level?: string };
          return level === 'error' || level === 'fatal';
        } catch {
          return true;
        }
      }
      return /\bERROR\b|Unhandled|uncaught/i.test(line) && !/\bWARN\b/.test(line);
    });

// ---------------------------------------------------------------------------------------------

describe('fuzzing every route (embedded)', () => {
  let glimpse: RunningGlimpse;
  let base: URL;
  let pid: number;
  let agent: Agent;
  let slots: Record<Exclude<Slot, 'fresh'>, string>;
  let sent = 0;
  const timing = { send: 0, health: 0 };
  /** Answers by status, and by route for the successful ones: evidence the fuzzer gets past validation. */
  const statuses = new Map<string, number>();
  const successes = new Map<string, number>();
  const detailed = new Map<string, number>();
  const count = (map: Map<string, number>, key: string) => map.set(key, (map.get(key) ?? 0) + 1);
  const seenErrors = new Set<string>();
  const started = Date.now();

  async function seed(): Promise<Record<Exclude<Slot, 'fresh'>, string>> {
    const alice = api(glimpse.url, ALICE);
    const bob = api(glimpse.url, BOB);
    const admin = api(glimpse.url, ADMIN);
    const data = Buffer.alloc(1024, 7);
    const create = async (who: ReturnType<typeof api>, body: Record<string, unknown>) => {
      const res = await who.post('/v2/images', { disk_format: 'raw', container_format: 'bare', ...body });
      if (res.status !== 201) throw new Error(`seeding: POST /v2/images answered ${res.status}: ${res.text}`);
      return res.json<{ id: string }>().id;
    };
    const put = async (id: string, who: Identity) => {
      const res = await upload(glimpse.url, id, data, who);
      if (res.status !== 204) throw new Error(`seeding: upload to ${id} answered ${res.status}: ${res.text}`);
    };
    const queued = await create(alice, { name: 'fuzz-queued' });
    const unformatted = (await alice.post('/v2/images', { name: 'fuzz-unformatted' })).json<{ id: string }>().id;
    const active = await create(alice, { name: 'fuzz-active', tags: ['a', 'b'], hw_disk_bus: 'virtio' });
    await put(active, ALICE);
    const shared = await create(alice, { name: 'fuzz-shared', visibility: 'shared' });
    await put(shared, ALICE);
    expect((await alice.post(`/v2/images/${shared}/members`, { member: BOB.project })).status).toBe(200);
    expect((await alice.post(`/v2/images/${shared}/members`, { member: CAROL.project })).status).toBe(200);
    expect((await bob.put(`/v2/images/${shared}/members/${BOB.project}`, { status: 'accepted' })).status).toBe(200);
    const deactivated = await create(alice, { name: 'fuzz-deactivated' });
    await put(deactivated, ALICE);
    expect((await alice.post(`/v2/images/${deactivated}/actions/deactivate`)).status).toBe(204);
    const protectedImage = await create(alice, { name: 'fuzz-protected', protected: true, custom: 'v' });
    const bobPrivate = await create(bob, { name: 'fuzz-bob', visibility: 'private' });
    await put(bobPrivate, BOB);
    const adminPublic = await create(admin, { name: 'fuzz-public', visibility: 'public' });
    await put(adminPublic, ADMIN);
    const community = await create(bob, { name: 'fuzz-community', visibility: 'community', os_hidden: true });
    return { queued, unformatted, active, shared, deactivated, protected: protectedImage, bobPrivate, adminPublic, community };
  }

  async function resolve(r: FuzzRequest): Promise<FuzzRequest> {
    let path = r.path;
    if (path.includes(FRESH)) {
      const res = await api(glimpse.url, ALICE).post('/v2/images', { name: 'fuzz-fresh', disk_format: 'raw', container_format: 'bare' });
      if (res.status !== 201) throw new Error(`creating a fresh image answered ${res.status}: ${res.text}`);
      path = path.split(FRESH).join(res.json<{ id: string }>().id);
    }
    const fill = (text: string) =>
      text.replace(/\{\{@([a-zA-Z]+)(:upper)?\}\}/g, (_m, slot: Exclude<Slot, 'fresh'>, upper?: string) =>
        upper ? slots[slot].toUpperCase() : slots[slot],
      );
    return { ...r, path: fill(path), headers: r.headers.map(([k, v]) => [k, fill(v)] as [string, string]) };
  }

  async function healthy(): Promise<boolean> {
    for (let attempt = 0; attempt < 5; attempt++) {
      // After the first try a fresh connection: the kept-alive one may be the one the server just closed.
      const res = await send(base, { method: 'GET', path: '/healthcheck', headers: [], body: null, mode: 'length' }, attempt === 0 ? agent : false);
      if (res.status === 200) return true;
      if (attempt > 0) await new Promise((r) => setTimeout(r, 200 * attempt));
    }
    return false;
  }

  function newErrorLines(): string[] {
    const fresh = errorLines(glimpse.logs()).filter((line) => !seenErrors.has(line));
    fresh.forEach((line) => seenErrors.add(line));
    return fresh;
  }

  /** One fuzzed request and the checks after it; throws (with a curl line) on any violation. */
  async function check(raw: FuzzRequest, property: string): Promise<void> {
    if (sent > 0 && sent % RESEED_EVERY === 0) slots = await seed();
    const r = await resolve(raw);
    sent++;
    const t0 = performance.now();
    let outcome = await send(base, r, agent);
    timing.send += performance.now() - t0;
    if (outcome.error && ['ECONNRESET', 'EPIPE'].includes(outcome.error.code ?? '') && outcome.status === undefined) {
      // A kept-alive socket the server had closed: once more on a fresh connection.
      outcome = await send(base, r, false);
    }
    const describe = () =>
      `request #${sent} of property "${property}" (FUZZ_SEED=${SEED}):\n  ${curlLine(glimpse.url, r)}\n` +
      `answer: ${outcome.status ?? '-'} ${outcome.error ? `(${outcome.error.code ?? ''} ${outcome.error.message})` : ''}\n` +
      `${(outcome.body ?? Buffer.alloc(0)).toString('utf8', 0, 600)}`;
    const t1 = performance.now();
    const up = await healthy();
    timing.health += performance.now() - t1;
    const errors = newErrorLines();
    if (!up) throw new Error(`Glimpse stopped answering /healthcheck after ${describe()}\nlog:\n${glimpse.logs().slice(-4000)}`);
    if (outcome.error?.code === 'ETIMEDOUT') throw new Error(`no answer within ${REQUEST_TIMEOUT_MS} ms to ${describe()}`);
    const status = outcome.status;
    count(statuses, String(status ?? outcome.error?.code ?? 'none'));
    if (status !== undefined && status < 300) count(successes, `${r.method} ${routeOf(r.path)}`);
    if (STATS) count(detailed, `${r.method} ${routeOf(r.path)} ${status ?? outcome.error?.code}`);
    // Glance answers 501 to a method it does not route at all; that one 5xx is Glance's contract.
    const glance501 = status === 501 && !STANDARD_METHODS.includes(r.method);
    if (status !== undefined && status >= 500 && !glance501) throw new Error(`${status} for ${describe()}\nlog:\n${errors.join('\n')}`);
    if (errors.length > 0) throw new Error(`the log shows an error after ${describe()}\n${errors.join('\n')}`);
  }

  async function run(name: string, arbitrary: fc.Arbitrary<FuzzRequest>, numRuns: number, seedOffset: number): Promise<void> {
    const fcSeed = SEED + seedOffset;
    slots = await seed();
    const before = sent;
    await fc.assert(fc.asyncProperty(arbitrary, (r) => check(r, name)), { numRuns, seed: fcSeed, endOnFailure: !SHRINK });
    process.stdout.write(`fuzz: ${name}: ${sent - before} requests (seed ${fcSeed}), ${((Date.now() - started) / 1000).toFixed(1)} s so far (send ${(timing.send / 1000).toFixed(1)} s, health ${(timing.health / 1000).toFixed(1)} s)\n`);
  }

  beforeAll(async () => {
    glimpse = await startGlimpse('embedded', { GLIMPSE_AUTH_STRATEGY: 'trusted', GLIMPSE_IMAGE_SIZE_CAP: String(SIZE_CAP) });
    base = new URL(glimpse.url);
    agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const match = /"pid":(\d+)/.exec(glimpse.logs());
    if (!match) throw new Error(`no pid in the log:\n${glimpse.logs()}`);
    pid = Number(match[1]);
    process.stdout.write(`fuzz: FUZZ_SEED=${SEED}, ${TOTAL_RUNS} runs, Glimpse pid ${pid} on ${glimpse.url}\n`);
  }, 60000);

  afterAll(async () => {
    agent?.destroy();
    await glimpse?.stop();
  });

  it('answers targeted requests on every route without a 5xx', async () => {
    await run('targeted', targetedRequest, Math.round(TOTAL_RUNS * 0.6), 0);
  }, 240000);

  it('answers the data path (uploads, ranges) without a 5xx', async () => {
    await run('data', dataRequest, Math.round(TOTAL_RUNS * 0.15), 1);
  }, 240000);

  it('answers any method, path, headers and body without a 5xx', async () => {
    await run('chaos', chaosRequest, TOTAL_RUNS - Math.round(TOTAL_RUNS * 0.6) - Math.round(TOTAL_RUNS * 0.15), 2);
  }, 240000);

  it('is still the same live process, with no unhandled error in its log', async () => {
    expect(sent).toBeGreaterThanOrEqual(TOTAL_RUNS);
    expect(await healthy()).toBe(true);
    expect(() => process.kill(pid, 0)).not.toThrow();
    expect(readFileSync(`/proc/${pid}/cmdline`, 'utf8')).toContain('glimpse.js');
    await new Promise((r) => setTimeout(r, 200));
    expect(errorLines(glimpse.logs())).toEqual([]);
    expect(stripAnsi(glimpse.logs())).not.toMatch(/glimpse: (SIGTERM|SIGINT), stopping|failed to start/);
    if (STATS) process.stdout.write([...detailed].sort().map(([k, n]) => `  ${k}: ${n}`).join('\n') + '\n');
    const sorted = (map: Map<string, number>) => [...map].sort((a, b) => b[1] - a[1]).map(([k, n]) => `${k}: ${n}`).join(', ');
    process.stdout.write(
      `fuzz: ${sent} requests in ${((Date.now() - started) / 1000).toFixed(1)} s\n  by status: ${sorted(statuses)}\n  successes: ${sorted(successes)}\n`,
    );
  });
});
