import { StoreError } from '../store.errors';

/** One object in the store's Swift account. */
export interface SwiftObject {
  container: string;
  object: string;
}

/** The object's path below the storage URL. */
export function pathOf({ container, object }: SwiftObject): string {
  return `/${encodeURIComponent(container)}/${encodeURIComponent(object)}`;
}

const SCHEME = /^(swift|swift\+http|swift\+https|swift\+config):\/\/(.*)$/i;

/**
 * A Swift image location. Glimpse writes `swift+http(s)://<storage host>/<container>/<object>`;
 * Glance writes `swift+http://user:key@<auth host>/v3/<container>/<object>`, `swift://…` (https)
 * and `swift+config://<reference>/<container>/<object>`. Every form names the object by its last
 * two path segments; credentials embedded by Glance are never used (the configured ones are).
 */
export interface SwiftLocation {
  scheme: string;
  /** The storage host in Glimpse's form; the auth host or reference name in Glance's. */
  host: string;
  container: string;
  object: string;
  /** Written by Glimpse: no credentials and nothing between the host and the container. */
  native: boolean;
}

export function parseSwiftLocation(location: string): SwiftLocation {
  const match = SCHEME.exec(location);
  if (!match || location.split('://').length !== 2) throw invalid(location);
  const scheme = match[1].toLowerCase();
  const segments = match[2].replace(/[?#].*$/, '').split('/');
  const [container, object] = segments.splice(-2).map((segment) => decoded(segment, location));
  if (!container || !object || segments.length === 0) throw invalid(location);
  // A key may hold '/' or '@' unescaped (glance_store quotes with safe='/'): the host follows the
  // last '@' before the container, wherever the first '/' is.
  const prefix = segments.join('/');
  const credentialsEnd = prefix.lastIndexOf('@');
  const address = prefix.slice(credentialsEnd + 1);
  const host = address.split('/')[0];
  if (!host) throw invalid(location);
  const native = scheme !== 'swift' && scheme !== 'swift+config' && credentialsEnd < 0 && !address.includes('/');
  return { scheme, host, container, object, native };
}

/** Glimpse's location of an object: the storage host, never the credentials or the account. */
export function formatSwiftLocation(storageUrl: string, container: string, object: string): string {
  const url = new URL(storageUrl);
  const scheme = url.protocol === 'https:' ? 'swift+https' : 'swift+http';
  return `${scheme}://${url.host}/${encodeURIComponent(container)}/${encodeURIComponent(object)}`;
}

/**
 * Whether a store with this container (and, once known, this storage URL) serves the location.
 * Before the first login the storage host is unknown, and only the container is compared.
 */
export function ownsSwiftLocation(location: SwiftLocation, container: string, storageUrl?: string): boolean {
  if (location.container !== container) return false;
  if (!location.native || storageUrl === undefined) return true;
  const ours = parseSwiftLocation(formatSwiftLocation(storageUrl, container, location.object));
  return ours.scheme === location.scheme && ours.host.toLowerCase() === location.host.toLowerCase();
}

function decoded(segment: string, location: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw invalid(location);
  }
}

function invalid(location: string): StoreError {
  const shown = location.replace(/\/\/.*@/, '//***@');
  return new StoreError('invalid_location', `Invalid Swift location ${shown}`);
}
