import { Injectable } from '@nestjs/common';
import {
  type CallerContext,
  type ImageRecord,
  type ImageStatus,
  type ListImagesRequest,
  type TimeFilter,
  type Visibility,
  badRequest,
  notFound,
} from '@glimpse/contracts';
import { SqlReader } from '../database/sql-reader';
import { whereListed, whereVisible } from './image-visibility';
import { fullSort, orderBy, whereAfterMarker } from './image-sort';
import { Conditions, placeholders } from './sql-conditions';

const COLUMNS =
  'i.id, i.name, i.size, i.virtual_size, i.status, i.visibility, i.protected, i.os_hidden, i.checksum, ' +
  'i.os_hash_algo, i.os_hash_value, i.owner, i.disk_format, i.container_format, i.min_disk, i.min_ram, ' +
  'i.created_at, i.updated_at';

type Row = Record<string, unknown>;

/**
 * The read path of the catalogue in plain SQL (through TypeORM's connection, without entity
 * hydration): lists and shows are the hottest requests Glimpse answers.
 */
@Injectable()
export class ImageReader {
  constructor(private readonly sql: SqlReader) {}

  /** One image the caller may see; deleted images are gone. */
  async get(caller: CallerContext, id: string): Promise<ImageRecord> {
    const where = new Conditions().and('i.id = ?', id).and('i.deleted = 0');
    whereVisible(where, caller);
    const rows = await this.sql.rows(`SELECT ${COLUMNS} FROM images i WHERE ${where.sql}`, where.params);
    if (rows.length === 0) throw notFound(`No image found with ID ${id}`);
    return (await this.withChildren(rows))[0];
  }

  /** Any image by id, deleted or not, without visibility (for the registry's own use). */
  async byId(id: string, includeDeleted = false): Promise<ImageRecord | null> {
    const rows = await this.sql.rows(
      `SELECT ${COLUMNS} FROM images i WHERE i.id = ?${includeDeleted ? '' : ' AND i.deleted = 0'}`,
      [id],
    );
    return rows.length === 0 ? null : (await this.withChildren(rows))[0];
  }

  async list(request: ListImagesRequest): Promise<ImageRecord[]> {
    const where = new Conditions().and('i.deleted = 0').and("i.status <> 'killed'");
    whereListed(where, request);
    applyFilters(where, request);
    const sort = fullSort(request.sort);
    if (request.marker !== undefined) {
      try {
        await this.get(request.caller, request.marker);
      } catch {
        throw badRequest(`The marker ${request.marker} could not be found.`);
      }
      whereAfterMarker(where, sort, request.marker);
    }
    const rows = await this.sql.rows(
      `SELECT ${COLUMNS} FROM images i WHERE ${where.sql} ORDER BY ${orderBy(sort)} LIMIT ?`,
      [...where.params, request.limit],
    );
    return this.withChildren(rows);
  }

  private async withChildren(rows: Row[]): Promise<ImageRecord[]> {
    if (rows.length === 0) return [];
    const ids = rows.map((r) => String(r['id']));
    const marks = placeholders(ids.length);
    const [properties, tags, locations] = await Promise.all([
      this.sql.rows(`SELECT image_id, name, value FROM image_properties WHERE image_id IN (${marks})`, ids),
      this.sql.rows(`SELECT image_id, value FROM image_tags WHERE image_id IN (${marks}) ORDER BY id`, ids),
      this.sql.rows(
        `SELECT image_id, value, meta_data FROM image_locations WHERE image_id IN (${marks}) AND status = 'active' ORDER BY id`,
        ids,
      ),
    ]);
    const byId = new Map<string, ImageRecord>(rows.map((row) => [String(row['id']), toRecord(row)]));
    for (const p of properties) byId.get(String(p['image_id']))!.properties[String(p['name'])] = String(p['value']);
    for (const t of tags) byId.get(String(t['image_id']))!.tags.push(String(t['value']));
    for (const l of locations) {
      byId.get(String(l['image_id']))!.locations.push({
        url: String(l['value']),
        metadata: JSON.parse(String(l['meta_data'])),
        status: 'active',
      });
    }
    return ids.map((id) => byId.get(id)!);
  }
}

function numberOrNull(value: unknown): number | null {
  return value === null || value === undefined ? null : Number(value);
}

const SQLITE_TIME = /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}$/;

/** SQLite gives 'YYYY-MM-DD HH:MM:SS.SSS' text (UTC), MariaDB a Date. */
function isoOf(value: unknown): string {
  if (value instanceof Date) return value.toISOString();
  const text = String(value);
  if (SQLITE_TIME.test(text)) return `${text.slice(0, 10)}T${text.slice(11)}Z`;
  return new Date(text.includes('T') ? text : `${text.replace(' ', 'T')}Z`).toISOString();
}

function toRecord(row: Row): ImageRecord {
  return {
    id: String(row['id']),
    name: (row['name'] as string | null) ?? null,
    status: row['status'] as ImageStatus,
    visibility: row['visibility'] as Visibility,
    protected: Boolean(Number(row['protected'])),
    osHidden: Boolean(Number(row['os_hidden'])),
    owner: (row['owner'] as string | null) ?? null,
    size: numberOrNull(row['size']),
    virtualSize: numberOrNull(row['virtual_size']),
    checksum: (row['checksum'] as string | null) ?? null,
    osHashAlgo: (row['os_hash_algo'] as string | null) ?? null,
    osHashValue: (row['os_hash_value'] as string | null) ?? null,
    diskFormat: (row['disk_format'] as string | null) ?? null,
    containerFormat: (row['container_format'] as string | null) ?? null,
    minDisk: Number(row['min_disk']),
    minRam: Number(row['min_ram']),
    createdAt: isoOf(row['created_at']),
    updatedAt: isoOf(row['updated_at']),
    tags: [],
    properties: {},
    locations: [],
  };
}

function applyFilters(where: Conditions, { filters }: ListImagesRequest): void {
  const inList = (column: string, values: readonly string[] | undefined) => {
    if (values && values.length > 0) where.and(`i.${column} IN (${placeholders(values.length)})`, ...values);
  };
  inList('name', filters.name);
  inList('id', filters.id);
  inList('status', filters.status);
  inList('disk_format', filters.diskFormat);
  inList('container_format', filters.containerFormat);
  if (filters.owner !== undefined) where.and('i.owner = ?', filters.owner);
  if (filters.checksum !== undefined) where.and('i.checksum = ?', filters.checksum);
  if (filters.osHashValue !== undefined) where.and('i.os_hash_value = ?', filters.osHashValue);
  if (filters.sizeMin !== undefined) where.and('i.size >= ?', filters.sizeMin);
  if (filters.sizeMax !== undefined) where.and('i.size <= ?', filters.sizeMax);
  where.and(filters.osHidden ? 'i.os_hidden = 1' : 'i.os_hidden = 0');
  if (filters.protected !== undefined) where.and(filters.protected ? 'i.protected = 1' : 'i.protected = 0');
  if (filters.createdAt) whereTime(where, 'created_at', filters.createdAt);
  if (filters.updatedAt) whereTime(where, 'updated_at', filters.updatedAt);
  for (const tag of filters.tags ?? []) {
    where.and('EXISTS (SELECT 1 FROM image_tags t WHERE t.image_id = i.id AND t.value = ?)', tag);
  }
  for (const [name, value] of Object.entries(filters.properties ?? {})) {
    where.and('EXISTS (SELECT 1 FROM image_properties p WHERE p.image_id = i.id AND p.name = ? AND p.value = ?)', name, value);
  }
}

/**
 * Stored timestamps carry milliseconds while Glance compares whole seconds, so each operator
 * becomes a range on [second, second + 1).
 */
function whereTime(where: Conditions, column: string, filter: TimeFilter): void {
  const start = new Date(filter.at);
  const from = sqlTime(start);
  const until = sqlTime(new Date(start.getTime() + 1000));
  const c = `i.${column}`;
  switch (filter.op) {
    case 'gt':
      where.and(`${c} >= ?`, until);
      break;
    case 'gte':
      where.and(`${c} >= ?`, from);
      break;
    case 'lt':
      where.and(`${c} < ?`, from);
      break;
    case 'lte':
      where.and(`${c} < ?`, until);
      break;
    case 'eq':
      where.and(`(${c} >= ? AND ${c} < ?)`, from, until);
      break;
    case 'neq':
      where.and(`(${c} < ? OR ${c} >= ?)`, from, until);
      break;
  }
}

/** The text both SQLite (as TypeORM stores it) and MariaDB compare correctly with a datetime. */
function sqlTime(date: Date): string {
  return date.toISOString().replace('T', ' ').replace('Z', '');
}
