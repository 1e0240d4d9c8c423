type Version = [string, 'CURRENT' | 'SUPPORTED'];

const OLDER: Version[] = ['2.7', '2.6', '2.5', '2.4', '2.3', '2.2', '2.1', '2.0'].map((id) => [id, 'SUPPORTED']);
/** With enabled_backends Glance also lists the multi-store versions (stores, tasks, usage). */
const MULTI_STORE: Version[] = ['2.13', '2.12', '2.11', '2.10', '2.9', '2.8'].map((id) => [id, 'SUPPORTED']);

export interface VersionFeatures {
  multiStore: boolean;
  /** image_cache_dir is set: the /v2/cache API (2.14) and its 202 on PUT (2.16). */
  cache: boolean;
}

/** The versions Glance 25 lists, in its order: 2.16 and 2.14 only with a cache directory. */
function versions({ multiStore, cache }: VersionFeatures): Version[] {
  const newest: Version[] = cache ? [['2.16', 'CURRENT'], ['2.15', 'SUPPORTED'], ['2.14', 'SUPPORTED']] : [['2.15', 'CURRENT']];
  return [...newest, ...(multiStore ? MULTI_STORE : [['2.9', 'SUPPORTED'] as Version]), ...OLDER];
}

/** Each version links to `<public_endpoint or the request's host>/v2/`. */
export function versionsDocument(base: string, features: VersionFeatures): { versions: unknown[] } {
  const root = base.replace(/\/+$/, '');
  return {
    versions: versions(features).map(([id, status]) => ({ id: `v${id}`, status, links: [{ rel: 'self', href: `${root}/v2/` }] })),
  };
}
