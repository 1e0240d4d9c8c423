import { type ImageRecord, type ImportJob, type ImportMethod, badRequest, conflict } from '@glimpse/contracts';

export interface StoreChoice {
  multiStore: boolean;
  defaultStore: string;
  /** Stores an import may write to (writable ones). */
  writable: readonly string[];
  known: readonly string[];
}

export interface ParsedImport {
  method: ImportMethod;
  uri?: string;
  allStores: boolean;
  stores: string[] | null;
  allStoresMustSucceed: boolean;
}

/** Glance's _validate_import_body: the method and the JSON booleans. */
export function parseImportBody(body: unknown, enabled: readonly string[]): ParsedImport {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw badRequest("Import request requires a 'method' field.");
  const entry = body as Record<string, unknown>;
  const method = entry['method'];
  if (typeof method !== 'object' || method === null) throw badRequest("Import request requires a 'method' field.");
  const name = (method as Record<string, unknown>)['name'];
  if (name === undefined) throw badRequest("Import request requires a 'name' field.");
  if (typeof name !== 'string' || !enabled.includes(name)) throw badRequest(`Unknown import method name '${String(name)}'.`);
  for (const key of ['all_stores_must_succeed', 'all_stores']) {
    if (key in entry && typeof entry[key] !== 'boolean') throw badRequest(`'${key}' type must be boolean`);
  }
  const stores = entry['stores'];
  if (stores !== undefined && (!Array.isArray(stores) || stores.some((s) => typeof s !== 'string'))) throw badRequest("'stores' must be a list of store ids");
  const uri = (method as Record<string, unknown>)['uri'];
  return {
    method: name as ImportMethod,
    ...(typeof uri === 'string' ? { uri } : {}),
    allStores: entry['all_stores'] === true,
    stores: (stores as string[] | undefined) ?? null,
    allStoresMustSucceed: entry['all_stores_must_succeed'] !== false,
  };
}

/** The status checks of Glance's import_image, in its order; returns the status the image moves to. */
export function importTransition(image: ImageRecord, method: ImportMethod): { from: ImageRecord['status']; to: ImageRecord['status'] } {
  if (image.status === 'active' && method !== 'copy-image') throw conflict('Image with status active cannot be target for import');
  if (image.status !== 'active' && method === 'copy-image') throw conflict('Only images with status active can be targeted for copying');
  if (image.status !== 'queued' && method === 'web-download') throw conflict(`Image needs to be in 'queued' state to use '${method}' method`);
  if (image.status !== 'uploading' && method === 'glance-direct') throw conflict("Image needs to be staged before 'glance-direct' method can be used");
  if (!image.containerFormat) throw conflict("'container_format' needs to be set before import");
  if (!image.diskFormat) throw conflict("'disk_format' needs to be set before import");
  return { from: image.status, to: method === 'copy-image' ? 'active' : 'importing' };
}

/** Glance's get_stores_from_request, plus copy-image's rule about stores that already hold it. */
export function targetStores(request: ParsedImport, header: string | undefined, choice: StoreChoice, image: ImageRecord): string[] {
  if (!choice.multiStore && !request.allStoresMustSucceed) {
    throw badRequest('all_stores_must_succeed can only be set with enabled_backends (multi-store)');
  }
  let stores: string[];
  if (request.allStores) {
    if (request.stores !== null || header !== undefined) {
      throw badRequest("All_stores parameter can't be used with x-image-meta-store header or stores parameter");
    }
    stores = [...choice.writable];
  } else if (request.stores !== null) {
    if (header !== undefined) throw badRequest("Stores parameter and x-image-meta-store header can't be both specified");
    stores = request.stores;
  } else {
    stores = [choice.multiStore && header !== undefined ? header : choice.defaultStore];
  }
  for (const store of stores) {
    if (!choice.known.includes(store)) throw conflict(`Unknown scheme '${store}' found in URI`);
  }
  if (request.method !== 'copy-image') return [...new Set(stores)];
  const holding = new Set(image.locations.filter((l) => l.status === 'active').map((l) => l.metadata['store']).filter((s): s is string => typeof s === 'string'));
  const already = stores.filter((store) => holding.has(store));
  if (already.length > 0 && !request.allStores) throw badRequest(`Image is already present at store '${already[0]}'`);
  return [...new Set(stores.filter((store) => !holding.has(store)))];
}

export function importJob(request: ParsedImport, stores: string[]): ImportJob {
  return { method: request.method, ...(request.uri !== undefined ? { uri: request.uri } : {}), stores, allStoresMustSucceed: request.allStoresMustSucceed };
}
