import {
  type CallerContext,
  GlimpseError,
  type ImageRecord,
  type MutableImageFields,
  type UpdateImageRequest,
  badRequest,
  conflict,
  forbidden,
} from '@glimpse/contracts';
import {
  BASE_ATTRIBUTES,
  type FormatLists,
  WRITABLE,
  assertWritableName,
  coreValue,
  customValue,
  tagsValue,
} from './image-attributes';

export const PATCH_V21 = 'application/openstack-images-v2.1-json-patch';
export const PATCH_V20 = 'application/openstack-images-v2.0-json-patch';
export const ACCEPT_PATCH = `${PATCH_V20}, ${PATCH_V21}`;
export type PatchDialect = '2.0' | '2.1';

const OPS = ['add', 'remove', 'replace'] as const;
type OpName = (typeof OPS)[number];

export interface PatchOp {
  op: OpName;
  attribute: string;
  /** /locations/{position}: an index, or "-" (the end) for add. */
  position?: string;
  value?: unknown;
}

/** Glance's path depth limits: only locations go one level deeper, and only for add and remove. */
const DEEP_PATHS: Record<string, OpName[]> = { locations: ['add', 'remove'] };

export function dialectOf(mediaType: string): PatchDialect {
  if (mediaType === PATCH_V21) return '2.1';
  if (mediaType === PATCH_V20) return '2.0';
  throw new GlimpseError('unsupported_media_type', `Unsupported Content-Type ${mediaType || '(none)'}: use ${ACCEPT_PATCH}`);
}

/** Parses either dialect: 2.1 is {op, path, value}; 2.0 is {"replace": "/name", "value": …}. */
export function parsePatch(body: unknown, dialect: PatchDialect): PatchOp[] {
  if (!Array.isArray(body)) throw badRequest('Request body must be a JSON array of operation objects.');
  return body.map((change) => {
    if (typeof change !== 'object' || change === null || Array.isArray(change)) {
      throw badRequest('Operations must be JSON objects.');
    }
    const entry = change as Record<string, unknown>;
    let op: OpName;
    let path: unknown;
    if (dialect === '2.1') {
      if (!OPS.includes(entry['op'] as OpName)) throw badRequest(`Operation "${String(entry['op'])}" is not supported; use add, remove or replace.`);
      op = entry['op'] as OpName;
      if (!('path' in entry)) throw badRequest(`Unable to find 'path' in JSON Schema change`);
      path = entry['path'];
    } else {
      const present = OPS.filter((name) => name in entry);
      if (present.length !== 1) throw badRequest('Operation objects must contain exactly one member named "add", "remove", or "replace".');
      op = present[0];
      path = entry[op];
    }
    if (op !== 'remove' && !('value' in entry)) throw badRequest(`Operation "${op}" requires a member named "value".`);
    const [attribute, position] = pointerSegments(path, op);
    return { op, attribute, ...(position !== undefined ? { position } : {}), value: entry['value'] };
  });
}

/** Decodes a JSON pointer: one segment (/name), or two for /locations/{position}. */
function pointerSegments(path: unknown, op: OpName): [string, string | undefined] {
  if (typeof path !== 'string') throw badRequest('Pointer must be a string.');
  if (!path.startsWith('/')) throw badRequest(`Pointer \`${path}\` does not start with "/".`);
  if (path.endsWith('/')) throw badRequest(`Pointer \`${path}\` end with "/".`);
  const segments = path.slice(1).split('/');
  if (segments.some((s) => s === '')) throw badRequest(`Pointer \`${path}\` contains adjacent "/".`);
  if (/~(?![01])/.test(path)) throw badRequest(`Pointer \`${path}\` contains "~" not part of a recognized escape sequence.`);
  const decoded = segments.map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
  const deep = segments.length === 2 && (DEEP_PATHS[decoded[0]] ?? []).includes(op);
  if (segments.length > 1 && !deep) throw badRequest(`Invalid JSON pointer for this resource: '${path}'`);
  return [decoded[0], decoded[1]];
}

/** Splits the location operations (handled against the stores) from the record's own changes. */
export function splitLocationOps(ops: PatchOp[]): { recordOps: PatchOp[]; locationOps: PatchOp[] } {
  return { recordOps: ops.filter((op) => op.attribute !== 'locations'), locationOps: ops.filter((op) => op.attribute === 'locations') };
}

interface WorkingImage {
  core: Record<string, unknown>;
  properties: Record<string, string>;
  tags: string[];
}

/** Applies the operations in order and returns the single update they add up to. */
export function patchRequest(
  caller: CallerContext,
  image: ImageRecord,
  ops: PatchOp[],
  dialect: PatchDialect,
  formats: FormatLists,
): UpdateImageRequest {
  const original = working(image);
  const next = working(image);
  for (const op of ops) applyOne(next, op, dialect, image, caller, formats);

  const fields: MutableImageFields = {};
  for (const [name, field] of Object.entries(WRITABLE)) {
    if (next.core[name] !== original.core[name]) (fields as Record<string, unknown>)[field] = next.core[name];
  }
  const setProperties: Record<string, string> = {};
  for (const [name, value] of Object.entries(next.properties)) {
    if (original.properties[name] !== value) setProperties[name] = value;
  }
  const removeProperties = Object.keys(original.properties).filter((name) => !Object.hasOwn(next.properties, name));
  const tagsChanged = JSON.stringify([...next.tags].sort()) !== JSON.stringify([...original.tags].sort());
  return { caller, id: image.id, fields, setProperties, removeProperties, tags: tagsChanged ? next.tags : undefined };
}

function working(image: ImageRecord): WorkingImage {
  return {
    core: {
      name: image.name,
      visibility: image.visibility,
      protected: image.protected,
      os_hidden: image.osHidden,
      owner: image.owner,
      disk_format: image.diskFormat,
      container_format: image.containerFormat,
      min_disk: image.minDisk,
      min_ram: image.minRam,
    },
    properties: { ...image.properties },
    tags: [...image.tags],
  };
}

function applyOne(
  next: WorkingImage,
  { op, attribute, value }: PatchOp,
  dialect: PatchDialect,
  image: ImageRecord,
  caller: CallerContext,
  formats: FormatLists,
): void {
  if (attribute === 'locations') throw forbidden("It's not allowed to update locations if locations are invisible.");
  if (attribute === 'id') throw forbidden("Attribute 'id' is read-only.");
  assertWritableName(attribute);

  if (BASE_ATTRIBUTES.has(attribute)) {
    if (op === 'remove') throw forbidden(`Attribute '${attribute}' may not be removed.`);
    if (op === 'add' && dialect === '2.0') throw conflict(`Property ${attribute} already present.`);
    if (attribute === 'tags') {
      next.tags = tagsValue(value);
      return;
    }
    const typed = coreValue(attribute, value, formats);
    if ((attribute === 'disk_format' || attribute === 'container_format') && typed !== next.core[attribute]) {
      if (!['queued', 'importing'].includes(image.status)) {
        throw forbidden(`Attribute ${attribute} can be only replaced for a queued image.`);
      }
    }
    if (attribute === 'owner' && typed !== next.core['owner'] && !caller.isAdmin) {
      throw forbidden("Attribute 'owner' can only be changed by an administrator.");
    }
    next.core[attribute] = typed;
    return;
  }

  const exists = Object.hasOwn(next.properties, attribute);
  if (op === 'remove') {
    if (!exists) throw conflict(`Property ${attribute} does not exist.`);
    delete next.properties[attribute];
    return;
  }
  if (op === 'replace' && !exists) throw conflict(`Property ${attribute} does not exist.`);
  if (op === 'add' && exists && dialect === '2.0') throw conflict(`Property ${attribute} already present.`);
  next.properties[attribute] = customValue(attribute, value);
}
