import { badRequest } from '@glimpse/contracts';

/** The task types of Glance's task schema; only `import` may be created through the tasks API. */
const TASK_TYPES = ['import', 'api_image_import', 'location_import'];
const REQUIRED_INPUT = ['import_from', 'import_from_format', 'image_properties'] as const;

/** POST /v2/tasks of type import (Glance's deprecated tasks API): a URL to make an image of. */
export interface LegacyImportTask {
  importFrom: string;
  imageProperties: Record<string, unknown>;
  /** The input as given: the task shows it. */
  input: Record<string, unknown>;
}

/**
 * Glance's task schema, unpack_task_input and validate_legacy_import_from_uri's scheme rules
 * (the remote-URL filter is the caller's to apply). Glance lets a task with missing input fields
 * fail later; here they are a 400 at once.
 */
export function parseLegacyImportTask(body: unknown): LegacyImportTask {
  if (!isObject(body)) throw badRequest('Task creation needs a JSON object with type and input.');
  const type = body['type'];
  if (type === undefined || body['input'] === undefined) throw badRequest("Task creation needs the fields 'type' and 'input'.");
  if (typeof type !== 'string' || !TASK_TYPES.includes(type)) throw badRequest(`Task type ${JSON.stringify(type)} is not one of ${TASK_TYPES.join(', ')}.`);
  if (type !== 'import') throw badRequest(`Tasks of type ${type} are created by the import API (POST /v2/images/{id}/import), not here.`);
  const input = body['input'];
  if (!isObject(input)) throw badRequest("A task's input must be a JSON object.");
  for (const key of REQUIRED_INPUT) if (!(key in input)) throw badRequest(`Input does not contain '${key}' field`);
  const properties = input['image_properties'];
  if (!isObject(properties)) throw badRequest("'image_properties' must be a JSON object.");
  const imageProperties = withBaseProperties(properties);
  for (const key of ['disk_format', 'container_format']) {
    if (typeof imageProperties[key] !== 'string') throw badRequest(`'image_properties' must set ${key}: the image is imported right away.`);
  }
  return { importFrom: checkedImportFrom(input['import_from']), imageProperties, input };
}

/** Glance's validate_location_uri: only http and https, never a local file. */
function checkedImportFrom(location: unknown): string {
  if (typeof location !== 'string' || location === '') throw badRequest(`Invalid location: ${String(location)}`);
  if (/^https?:\/\//.test(location)) return location;
  if (location.startsWith('file:///') || location.startsWith('filesystem:///')) {
    throw badRequest('File based imports are not allowed. Please use a non-local source of image data.');
  }
  throw badRequest("The given uri is not valid. Please specify a valid uri from the following list of supported uri ['http']");
}

/** Glance's set_base_image_properties: an empty set of properties gets qcow2 and bare. */
function withBaseProperties(properties: Record<string, unknown>): Record<string, unknown> {
  return Object.keys(properties).length === 0 ? { disk_format: 'qcow2', container_format: 'bare' } : properties;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
