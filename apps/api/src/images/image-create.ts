import { type CallerContext, type CreateImageRequest, type MutableImageFields, badRequest, forbidden } from '@glimpse/contracts';
import {
  type FormatLists,
  BASE_ATTRIBUTES,
  WRITABLE,
  assertWritableName,
  coreValue,
  customValue,
  idValue,
  tagsValue,
} from './image-attributes';

/** Turns a POST /v2/images body into the registry request, with Glance's 400/403 answers. */
export function createRequest(caller: CallerContext, body: unknown, formats: FormatLists): CreateImageRequest {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw badRequest('Request body must be a JSON object.');
  }
  const fields: MutableImageFields = {};
  const properties: Record<string, string> = {};
  let tags: string[] = [];
  let id: string | undefined;
  for (const [name, value] of Object.entries(body as Record<string, unknown>)) {
    if (name === 'locations') throw forbidden("Attribute 'locations' is reserved.");
    // Glance validates the body against the image schema before refusing reserved names, so a
    // reserved custom name with a non-string value ({"deleted": true}) is 400, a string one 403.
    if (!Object.hasOwn(WRITABLE, name) && !BASE_ATTRIBUTES.has(name) && typeof value !== 'string') customValue(name, value);
    assertWritableName(name);
    if (name === 'id') id = idValue(value);
    else if (name === 'tags') tags = tagsValue(value);
    else if (Object.hasOwn(WRITABLE, name)) (fields as Record<string, unknown>)[WRITABLE[name]] = coreValue(name, value, formats);
    else properties[name] = customValue(name, value);
  }
  return { caller, id, fields, tags, properties };
}
