import type { SortDir, SortKey } from '@glimpse/contracts';
import type { Conditions } from './sql-conditions';

/** Nullable keys sort as their smallest value so that keyset pagination can compare them. */
const EXPRESSION: Record<SortKey, (alias: string) => string> = {
  name: (a) => `COALESCE(${a}.name, '')`,
  status: (a) => `${a}.status`,
  container_format: (a) => `COALESCE(${a}.container_format, '')`,
  disk_format: (a) => `COALESCE(${a}.disk_format, '')`,
  size: (a) => `COALESCE(${a}.size, -1)`,
  id: (a) => `${a}.id`,
  created_at: (a) => `${a}.created_at`,
  updated_at: (a) => `${a}.updated_at`,
};

export type SortSpec = { key: SortKey; dir: SortDir }[];

/** The requested keys, then created_at and id as Glance's tie-breakers. */
export function fullSort(requested: SortSpec): SortSpec {
  const sort: SortSpec = [...requested];
  const lastDir = requested.at(-1)?.dir ?? 'desc';
  for (const key of ['created_at', 'id'] as const) {
    if (!sort.some((s) => s.key === key)) sort.push({ key, dir: lastDir });
  }
  return sort;
}

export function orderBy(sort: SortSpec): string {
  return sort.map(({ key, dir }) => `${EXPRESSION[key]('i')} ${dir === 'asc' ? 'ASC' : 'DESC'}`).join(', ');
}

/** Rows strictly after the marker in the sort order (keyset pagination, stable under inserts). */
export function whereAfterMarker(where: Conditions, sort: SortSpec, marker: string): void {
  const markerValue = (key: SortKey) => `(SELECT ${EXPRESSION[key]('mk')} FROM images mk WHERE mk.id = ?)`;
  const params: unknown[] = [];
  const branches = sort.map(({ key, dir }, n) => {
    const parts = sort.slice(0, n).map((s) => {
      params.push(marker);
      return `${EXPRESSION[s.key]('i')} = ${markerValue(s.key)}`;
    });
    params.push(marker);
    parts.push(`${EXPRESSION[key]('i')} ${dir === 'asc' ? '>' : '<'} ${markerValue(key)}`);
    return `(${parts.join(' AND ')})`;
  });
  where.and(`(${branches.join(' OR ')})`, ...params);
}
