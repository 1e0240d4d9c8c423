import {
  type CallerContext,
  type ImageListFilters,
  type ImageStatus,
  type ListImagesRequest,
  SORT_KEYS,
  type SortDir,
  type SortKey,
  type TimeFilter,
  badRequest,
} from '@glimpse/contracts';

export interface ListLimits {
  limitParamDefault: number;
  apiLimitMax: number;
}

const TIME_OPS = ['gt', 'gte', 'eq', 'neq', 'lt', 'lte'] as const;

/** `[op:]ISO8601` (a bare time means eq); Glance accepts no `in` here. */
function timeFilter(name: string, raw: string): TimeFilter {
  const match = /^(?:([a-z]+):)?(\d{4}-\d\d-\d\d(?:[T ]\d\d:\d\d(?::\d\d(?:\.\d+)?)?)?(?:Z|[+-]\d\d:?\d\d)?)$/.exec(raw);
  if (!match) throw badRequest(`Invalid ${name} filter '${raw}': use [gt|gte|eq|neq|lt|lte:]<ISO 8601 time>.`);
  const op = (match[1] ?? 'eq') as TimeFilter['op'];
  if (!TIME_OPS.includes(op)) throw badRequest(`Unable to filter ${name} with operator ${op}.`);
  const text = match[2];
  const zoned = /(Z|[+-]\d\d:?\d\d)$/.test(text) ? text : `${text}Z`;
  const time = new Date(zoned.replace(' ', 'T'));
  if (Number.isNaN(time.getTime())) throw badRequest(`Invalid ${name} filter '${raw}': not a time.`);
  time.setUTCMilliseconds(0);
  return { op, at: time.toISOString() };
}

const IN_FILTERS = ['name', 'id', 'status', 'disk_format', 'container_format'] as const;
const KNOWN = new Set([
  'limit', 'marker', 'sort_key', 'sort_dir', 'sort', 'visibility', 'owner', 'tag', 'size_min', 'size_max',
  'checksum', 'os_hash_value', 'os_hidden', 'protected', 'member_status', 'created_at', 'updated_at', ...IN_FILTERS,
]);

/** Turns GET /v2/images query parameters into a registry request, with Glance's 400s. */
export function listRequest(caller: CallerContext, params: URLSearchParams, limits: ListLimits): ListImagesRequest {
  const filters: ImageListFilters = {};
  const one = (name: string) => params.get(name) ?? undefined;

  for (const name of IN_FILTERS) {
    const raw = one(name);
    if (raw === undefined) continue;
    const values = filterValues(raw);
    if (name === 'status') {
      // Glance 25 does not validate the status filter: an unknown status matches no image (200).
      filters.status = values as ImageStatus[];
    } else if (name === 'disk_format') filters.diskFormat = values;
    else if (name === 'container_format') filters.containerFormat = values;
    else filters[name] = values;
  }

  const visibility = one('visibility');
  if (visibility !== undefined) {
    if (!['public', 'private', 'shared', 'community', 'all'].includes(visibility)) {
      throw badRequest(`Invalid visibility value: ${visibility}`);
    }
    filters.visibility = visibility as ImageListFilters['visibility'];
  }
  if (one('owner') !== undefined) filters.owner = one('owner');
  const tags = params.getAll('tag');
  if (tags.length > 0) filters.tags = tags;
  if (one('size_min') !== undefined) filters.sizeMin = nonNegativeInt('size_min', one('size_min')!);
  if (one('size_max') !== undefined) filters.sizeMax = nonNegativeInt('size_max', one('size_max')!);
  if (one('checksum') !== undefined) filters.checksum = one('checksum');
  if (one('os_hash_value') !== undefined) filters.osHashValue = one('os_hash_value');
  filters.osHidden = osHidden(one('os_hidden'));
  const protectedParam = one('protected');
  if (protectedParam !== undefined) {
    if (protectedParam !== 'true' && protectedParam !== 'false') {
      throw badRequest(`Invalid value '${protectedParam}' for 'protected' filter. Valid values are 'true' or 'false'.`);
    }
    filters.protected = protectedParam === 'true';
  }
  if (params.has('changes-since')) throw badRequest('The "changes-since" filter is no longer available on v2.');
  if (params.has('created_at')) filters.createdAt = timeFilter('created_at', params.get('created_at')!);
  if (params.has('updated_at')) filters.updatedAt = timeFilter('updated_at', params.get('updated_at')!);

  const properties: Record<string, string> = {};
  for (const [name, value] of params) if (!KNOWN.has(name)) properties[name] = value;
  if (Object.keys(properties).length > 0) filters.properties = properties;

  const memberStatus = one('member_status');
  if (memberStatus !== undefined && !['pending', 'accepted', 'rejected', 'all'].includes(memberStatus)) {
    throw badRequest(`Invalid status: ${memberStatus}`);
  }

  return {
    caller,
    filters,
    sort: sortOf(params),
    limit: limitOf(one('limit'), limits),
    marker: one('marker'),
    memberStatus: memberStatus as ListImagesRequest['memberStatus'],
  };
}

/** `in:a,"b,c",d` lists (quoted values may hold commas); anything else is one value. */
export function filterValues(raw: string): string[] {
  if (!raw.startsWith('in:')) {
    if (/^[a-z]+:/.test(raw) && !raw.startsWith('eq:')) {
      const op = raw.slice(0, raw.indexOf(':'));
      if (['gt', 'gte', 'lt', 'lte', 'neq'].includes(op)) throw badRequest(`Unable to filter with operator ${op}.`);
    }
    return [raw.startsWith('eq:') ? raw.slice(3) : raw];
  }
  const values: string[] = [];
  let current = '';
  let quoted = false;
  let wasQuoted = false;
  for (const ch of raw.slice(3)) {
    if (ch === '"') {
      quoted = !quoted;
      wasQuoted = true;
    } else if (ch === ',' && !quoted) {
      values.push(current);
      current = '';
      wasQuoted = false;
    } else {
      if (wasQuoted && !quoted) throw badRequest('Invalid filter value: a quoted value must be followed by a comma.');
      current += ch;
    }
  }
  if (quoted) throw badRequest('Invalid filter value: the quotes are not closed.');
  values.push(current);
  return values;
}

function nonNegativeInt(name: string, raw: string): number {
  if (!/^\d+$/.test(raw)) throw badRequest(`${name} must be a non-negative integer: ${raw}`);
  return Number(raw);
}

function osHidden(raw: string | undefined): boolean {
  if (raw === undefined) return false;
  const value = raw.toLowerCase();
  if (value !== 'true' && value !== 'false') throw badRequest(`Invalid value for os_hidden: ${raw}. It must be true or false.`);
  return value === 'true';
}

function limitOf(raw: string | undefined, limits: ListLimits): number {
  if (raw === undefined) return Math.min(limits.limitParamDefault, limits.apiLimitMax);
  if (!/^-?\d+$/.test(raw)) throw badRequest('limit param must be an integer');
  const limit = Number(raw);
  if (limit < 0) throw badRequest('limit param must be positive');
  return Math.min(limit, limits.apiLimitMax);
}

function sortKey(key: string): SortKey {
  if (!(SORT_KEYS as readonly string[]).includes(key)) {
    throw badRequest(`Invalid sort key: ${key}. It must be one of the following: ${SORT_KEYS.join(', ')}.`);
  }
  return key as SortKey;
}

function sortDir(dir: string): SortDir {
  if (dir !== 'asc' && dir !== 'desc') throw badRequest(`Invalid sort direction: ${dir}`);
  return dir;
}

/** sort_key/sort_dir (repeatable) or the newer sort=k1:asc,k2; default created_at desc. */
function sortOf(params: URLSearchParams): ListImagesRequest['sort'] {
  const keys = params.getAll('sort_key');
  const dirs = params.getAll('sort_dir');
  const sort = params.get('sort');
  if (sort !== null) {
    if (keys.length > 0 || dirs.length > 0) throw badRequest('The sort param can not be combined with sort_key or sort_dir.');
    return sort.split(',').map((part) => {
      const [key, dir] = part.trim().split(':');
      return { key: sortKey(key.trim()), dir: dir === undefined || dir.trim() === '' ? 'desc' : sortDir(dir.trim()) };
    });
  }
  if (keys.length === 0) {
    const dir = dirs.length > 0 ? sortDir(dirs[0]) : 'desc';
    if (dirs.length > 1) throw badRequest('Number of sort dirs does not match the number of sort keys');
    return [{ key: 'created_at', dir }];
  }
  if (dirs.length > 1 && dirs.length !== keys.length) {
    throw badRequest('Number of sort dirs does not match the number of sort keys');
  }
  return keys.map((key, i) => ({ key: sortKey(key), dir: sortDir(dirs[dirs.length > 1 ? i : 0] ?? 'desc') }));
}

/** first and next keep every query parameter except marker (glance ResponseSerializer.index). */
export function pageLinks(params: URLSearchParams, lastId: string | null): { first: string; next?: string } {
  const rest = new URLSearchParams([...params].filter(([name]) => name !== 'marker'));
  const query = rest.toString();
  const links: { first: string; next?: string } = { first: query ? `/v2/images?${query}` : '/v2/images' };
  if (lastId !== null) {
    rest.append('marker', lastId);
    links.next = `/v2/images?${rest.toString()}`;
  }
  return links;
}
