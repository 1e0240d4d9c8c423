import { type MutableImageFields, type Visibility, badRequest, forbidden } from '@glimpse/contracts';
import { READ_ONLY, RESERVED, UUID_RE, VISIBILITY_VALUES } from './image-schema';

const MAX_DB_INT = 2 ** 31 - 1;

/** The JSON name of each core attribute a client may write, and its field in the contract. */
export const WRITABLE: Record<string, keyof MutableImageFields> = {
  name: 'name',
  visibility: 'visibility',
  protected: 'protected',
  os_hidden: 'osHidden',
  owner: 'owner',
  disk_format: 'diskFormat',
  container_format: 'containerFormat',
  min_disk: 'minDisk',
  min_ram: 'minRam',
};

/** Core attributes that exist on every image (they cannot be removed, and `add` replaces them). */
export const BASE_ATTRIBUTES = new Set([...Object.keys(WRITABLE), 'tags', 'id', ...READ_ONLY, 'locations']);

export interface FormatLists {
  diskFormats: readonly string[];
  containerFormats: readonly string[];
}

function schemaError(detail: string): Error {
  return badRequest(`Provided object does not match schema 'image': ${detail}`);
}

/** 403 for read-only and reserved names, checked before any value. */
export function assertWritableName(name: string): void {
  if (READ_ONLY.has(name)) throw forbidden(`Attribute '${name}' is read-only.`);
  if (RESERVED.has(name) || name.startsWith('os_glance')) throw forbidden(`Attribute '${name}' is reserved.`);
}

/** Validates one core attribute's value against the image schema and returns it typed. */
export function coreValue(name: string, value: unknown, formats: FormatLists): unknown {
  switch (name) {
    case 'name':
    case 'owner':
      if (value !== null && typeof value !== 'string') throw schemaError(`${JSON.stringify(value)} is not of type 'null', 'string' (${name})`);
      if (typeof value === 'string' && value.length > 255) throw schemaError(`'${name}' is too long (maximum 255 characters)`);
      return value;
    case 'visibility':
      if (typeof value !== 'string' || !VISIBILITY_VALUES.includes(value)) {
        throw schemaError(`${JSON.stringify(value)} is not one of ['community', 'public', 'private', 'shared']`);
      }
      return value as Visibility;
    case 'protected':
    case 'os_hidden':
      if (typeof value !== 'boolean') throw schemaError(`${JSON.stringify(value)} is not of type 'boolean' (${name})`);
      return value;
    case 'min_disk':
    case 'min_ram':
      if (typeof value !== 'number' || !Number.isInteger(value)) throw schemaError(`${JSON.stringify(value)} is not of type 'integer' (${name})`);
      if (value < 0 || value > MAX_DB_INT) throw badRequest(`'${value}' value out of range for ${name}: it must be between 0 and ${MAX_DB_INT}.`);
      return value;
    case 'disk_format':
    case 'container_format': {
      const allowed = name === 'disk_format' ? formats.diskFormats : formats.containerFormats;
      if (value !== null && (typeof value !== 'string' || !allowed.includes(value))) {
        throw badRequest(`Invalid ${name} '${String(value)}' for image: it must be one of ${allowed.join(', ')}.`);
      }
      return value;
    }
    default:
      throw new Error(`not a core attribute: ${name}`);
  }
}

export function tagsValue(value: unknown): string[] {
  if (!Array.isArray(value)) throw schemaError(`${JSON.stringify(value)} is not of type 'array' (tags)`);
  for (const tag of value) {
    if (typeof tag !== 'string') throw schemaError(`${JSON.stringify(tag)} is not of type 'string' (tags)`);
    if (tag.length > 255) throw schemaError(`tag '${tag.slice(0, 32)}…' is too long (maximum 255 characters)`);
  }
  return [...new Set(value as string[])];
}

export function customValue(name: string, value: unknown): string {
  if (name.length > 255) throw badRequest(`Custom property name is too long (maximum 255 characters): ${name.slice(0, 32)}…`);
  if (name === '') throw badRequest('Custom property names may not be empty.');
  // A plain object cannot hold it (it would set the prototype), so it could never be stored or shown.
  if (name === '__proto__') throw badRequest('Invalid custom property name: __proto__');
  if (typeof value !== 'string') throw schemaError(`${JSON.stringify(value)} is not of type 'string' (${name})`);
  return value;
}

export function idValue(value: unknown): string {
  if (typeof value !== 'string' || !UUID_RE.test(value)) throw schemaError(`${JSON.stringify(value)} does not match the UUID pattern (id)`);
  return value.toLowerCase();
}
