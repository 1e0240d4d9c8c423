/** The versions Glance 25 lists without a cache directory or multi-store, in its order. */
const VERSIONS: [string, 'CURRENT' | 'SUPPORTED'][] = [
  ['2.15', 'CURRENT'],
  ['2.9', 'SUPPORTED'],
  ['2.7', 'SUPPORTED'],
  ['2.6', 'SUPPORTED'],
  ['2.5', 'SUPPORTED'],
  ['2.4', 'SUPPORTED'],
  ['2.3', 'SUPPORTED'],
  ['2.2', 'SUPPORTED'],
  ['2.1', 'SUPPORTED'],
  ['2.0', 'SUPPORTED'],
];

/** Each version links to `<public_endpoint or the request's host>/v2/`. */
export function versionsDocument(base: string): { versions: unknown[] } {
  const root = base.replace(/\/+$/, '');
  return {
    versions: VERSIONS.map(([id, status]) => ({ id: `v${id}`, status, links: [{ rel: 'self', href: `${root}/v2/` }] })),
  };
}
