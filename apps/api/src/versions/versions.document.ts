type Version = [string, 'CURRENT' | 'SUPPORTED'];

const OLDER: Version[] = ['2.7', '2.6', '2.5', '2.4', '2.3', '2.2', '2.1', '2.0'].map((id) => [id, 'SUPPORTED']);
/** With enabled_backends Glance also lists the multi-store versions (stores, tasks, usage). */
const MULTI_STORE: Version[] = ['2.13', '2.12', '2.11', '2.10', '2.9', '2.8'].map((id) => [id, 'SUPPORTED']);

/** The versions Glance 25 lists without a cache directory, in its order. */
function versions(multiStore: boolean): Version[] {
  return [['2.15', 'CURRENT'], ...(multiStore ? MULTI_STORE : [['2.9', 'SUPPORTED'] as Version]), ...OLDER];
}

/** Each version links to `<public_endpoint or the request's host>/v2/`. */
export function versionsDocument(base: string, multiStore: boolean): { versions: unknown[] } {
  const root = base.replace(/\/+$/, '');
  return {
    versions: versions(multiStore).map(([id, status]) => ({ id: `v${id}`, status, links: [{ rel: 'self', href: `${root}/v2/` }] })),
  };
}
