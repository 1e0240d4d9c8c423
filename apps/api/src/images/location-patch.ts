import { GlimpseError, type ImageLocation, type ImageRecord, badRequest, conflict, forbidden } from '@glimpse/contracts';
import { createHash } from 'node:crypto';
import type { PatchOp } from './json-patch';

export type NewLocation = Omit<ImageLocation, 'status'>;

/** Data a client vouches for when it gives a queued image its first location. */
export interface ValidationData {
  checksum?: string;
  osHashAlgo?: string;
  osHashValue?: string;
}

export interface LocationPlan {
  locations: NewLocation[];
  validation: ValidationData;
  changed: boolean;
}

export interface LocationRules {
  showMultipleLocations: boolean;
  imageLocationQuota: number;
  hashingAlgorithm: string;
}

const INVISIBLE: Record<PatchOp['op'], string> = {
  add: "It's not allowed to add locations if locations are invisible.",
  remove: "It's not allowed to remove locations if locations are invisible.",
  replace: "It's not allowed to update locations if locations are invisible.",
};

/** Applies /locations operations in order to the image's locations, with Glance's checks. */
export function planLocations(image: ImageRecord, ops: PatchOp[], rules: LocationRules): LocationPlan {
  let locations: NewLocation[] = image.locations.filter((l) => l.status === 'active').map(({ url, metadata }) => ({ url, metadata }));
  const given: NewLocation[] = [];
  const validation: Record<string, unknown> = {};
  for (const op of ops) {
    if (!rules.showMultipleLocations) throw forbidden(INVISIBLE[op.op]);
    if (op.op === 'replace') {
      assertStatus(image, ['active', 'queued'], 'replace');
      const value = locationList(op.value);
      value.forEach((l) => collectValidation(validation, l));
      locations = replaced(locations, value.map(stripped));
      given.push(...value.map(stripped));
    } else if (op.op === 'add') {
      assertStatus(image, ['active', 'queued'], 'add');
      const value = locationValue(op.value);
      collectValidation(validation, value);
      const position = op.position === '-' ? locations.length : index(op.position, locations.length);
      if (position === null) throw badRequest('Invalid position for adding a location.');
      const location = stripped(value);
      if (locations.some((l) => sameLocation(l, location))) throw badRequest(`The location ${location.url} already exists`);
      locations.splice(position, 0, location);
      given.push(location);
    } else {
      assertStatus(image, ['active'], 'remove');
      if (locations.length === 1) throw forbidden('Cannot remove last location in the image.');
      const position = index(op.position, locations.length - 1);
      if (position === null) throw badRequest('Invalid position for removing a location.');
      locations.splice(position, 1);
    }
  }
  const quota = rules.imageLocationQuota;
  if (quota >= 0 && locations.length > quota && locations.length > image.locations.length) {
    throw new GlimpseError('payload_too_large', `The limit has been exceeded on the number of allowed image locations. Attempted: ${locations.length}, Maximum: ${quota}`);
  }
  const before = JSON.stringify(image.locations.map(({ url, metadata }) => ({ url, metadata })));
  return { locations, validation: validationFor(image, validation, rules), changed: JSON.stringify(locations) !== before || given.length > 0 };
}

function assertStatus(image: ImageRecord, allowed: string[], verb: string): void {
  if (!allowed.includes(image.status)) throw conflict(`It's not allowed to ${verb} locations if image status is ${image.status}.`);
}

/** replace keeps the URLs (a metadata update) or fills an image that has none. */
function replaced(current: NewLocation[], value: NewLocation[]): NewLocation[] {
  if (value.length === 0 && current.length > 0) throw forbidden('Cannot remove last location in the image.');
  const urls = (list: NewLocation[]) => JSON.stringify(list.map((l) => l.url).sort());
  if (current.length > 0 && urls(current) !== urls(value)) throw badRequest('Original locations is not empty: replace keeps the URLs of an image that has locations.');
  value.forEach((location, i) => {
    if (value.slice(0, i).some((other) => sameLocation(other, location))) throw badRequest(`The location ${location.url} already exists`);
  });
  return value;
}

function index(position: string | undefined, max: number): number | null {
  if (position === undefined || !/^\d+$/.test(position)) return null;
  const value = Number(position);
  return value <= max ? value : null;
}

function sameLocation(a: NewLocation, b: NewLocation): boolean {
  return a.url === b.url && JSON.stringify(a.metadata) === JSON.stringify(b.metadata);
}

interface GivenLocation extends NewLocation {
  validation_data?: Record<string, unknown>;
}

function stripped(location: GivenLocation): NewLocation {
  return { url: location.url, metadata: location.metadata };
}

function locationList(value: unknown): GivenLocation[] {
  if (!Array.isArray(value)) throw badRequest(`Provided object does not match schema 'image': ${JSON.stringify(value)} is not of type 'array' (locations)`);
  return value.map(locationValue);
}

function locationValue(value: unknown): GivenLocation {
  const schema = (detail: string) => badRequest(`Provided object does not match schema 'image': ${detail}`);
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw schema(`${JSON.stringify(value)} is not of type 'object' (location)`);
  const entry = value as Record<string, unknown>;
  if (typeof entry['url'] !== 'string') throw schema("'url' is a required property of a location");
  if (entry['url'].length > 255) throw schema("'url' is too long (maximum 255 characters)");
  if (typeof entry['metadata'] !== 'object' || entry['metadata'] === null || Array.isArray(entry['metadata'])) {
    throw schema("'metadata' is a required property of a location and must be an object");
  }
  const extra = Object.keys(entry).filter((key) => !['url', 'metadata', 'validation_data'].includes(key));
  if (extra.length > 0) throw schema(`Additional properties are not allowed (${extra.map((k) => `'${k}'`).join(', ')} was unexpected)`);
  const data = entry['validation_data'];
  if (data !== undefined && (typeof data !== 'object' || data === null || Array.isArray(data))) throw schema("'validation_data' must be an object");
  return value as GivenLocation;
}

const VALIDATION_KEYS: Record<string, keyof ValidationData> = { checksum: 'checksum', os_hash_algo: 'osHashAlgo', os_hash_value: 'osHashValue' };

function collectValidation(into: Record<string, unknown>, location: GivenLocation): void {
  for (const [key, value] of Object.entries(location.validation_data ?? {})) {
    if (!(key in VALIDATION_KEYS)) throw badRequest(`Provided object does not match schema 'image': '${key}' is not a validation_data property`);
    if (key in into && into[key] !== value) throw badRequest(`Conflicting values for ${key}`);
    into[key] = value;
  }
}

/** Glance's _validate_validation_data: new values only for a queued image, well-formed hex of the right size. */
function validationFor(image: ImageRecord, given: Record<string, unknown>, rules: LocationRules): ValidationData {
  const current: Record<string, string | null> = { checksum: image.checksum, os_hash_algo: image.osHashAlgo, os_hash_value: image.osHashValue };
  const fresh: Record<string, string> = {};
  for (const [key, value] of Object.entries(given)) {
    if (value === current[key]) continue;
    if (current[key]) throw badRequest(`${key} is already set with a different value`);
    fresh[key] = String(value);
  }
  if (Object.keys(fresh).length === 0) return {};
  if (image.status !== 'queued') throw badRequest(`New value(s) for ${Object.keys(fresh).join(', ')} may only be provided when image status is 'queued'`);
  if (fresh['checksum'] !== undefined) assertHex('checksum', fresh['checksum'], 16, 'md5');
  const algo = fresh['os_hash_algo'];
  if (algo !== rules.hashingAlgorithm) throw badRequest(`os_hash_algo must be ${rules.hashingAlgorithm}, not ${algo}`);
  assertHex('os_hash_value', fresh['os_hash_value'] ?? '', createHash(algo).digest().length, algo);
  return { checksum: fresh['checksum'], osHashAlgo: fresh['os_hash_algo'], osHashValue: fresh['os_hash_value'] };
}

function assertHex(key: string, value: string, bytes: number, algo: string): void {
  if (!/^([0-9a-fA-F]{2})*$/.test(value)) throw badRequest(`${key} (${value}) is not a valid hexadecimal value`);
  if (value.length !== bytes * 2) throw badRequest(`${key} (${value}) is not the correct size for ${algo} (should be ${bytes} bytes)`);
}
