import type { SortDir, SortKey } from '@glimpse/contracts';
import type { SelectQueryBuilder } from 'typeorm';
import type { ImageEntity } from './image.entities';

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

/** Orders by the requested keys, then created_at and id as Glance's tie-breakers. */
export function applySort(qb: SelectQueryBuilder<ImageEntity>, requested: SortSpec): SortSpec {
  const sort: SortSpec = [...requested];
  const lastDir = requested.at(-1)?.dir ?? 'desc';
  for (const key of ['created_at', 'id'] as const) {
    if (!sort.some((s) => s.key === key)) sort.push({ key, dir: lastDir });
  }
  sort.forEach(({ key, dir }, n) => {
    const order = dir === 'asc' ? 'ASC' : 'DESC';
    if (n === 0) qb.orderBy(EXPRESSION[key]('i'), order);
    else qb.addOrderBy(EXPRESSION[key]('i'), order);
  });
  return sort;
}

/** Rows strictly after the marker in the sort order (keyset pagination, stable under inserts). */
export function applyMarker(qb: SelectQueryBuilder<ImageEntity>, sort: SortSpec, marker: string): void {
  const markerValue = (key: SortKey) => `(SELECT ${EXPRESSION[key]('mk')} FROM images mk WHERE mk.id = :marker)`;
  const branches = sort.map(({ key, dir }, n) => {
    const equalities = sort.slice(0, n).map((s) => `${EXPRESSION[s.key]('i')} = ${markerValue(s.key)}`);
    const step = `${EXPRESSION[key]('i')} ${dir === 'asc' ? '>' : '<'} ${markerValue(key)}`;
    return `(${[...equalities, step].join(' AND ')})`;
  });
  qb.andWhere(`(${branches.join(' OR ')})`, { marker });
}
