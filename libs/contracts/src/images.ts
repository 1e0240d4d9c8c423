/** Glance's image status machine (glance/domain/__init__.py). */
export const IMAGE_STATUSES = [
  'queued',
  'saving',
  'uploading',
  'importing',
  'active',
  'killed',
  'deactivated',
  'pending_delete',
  'deleted',
] as const;
export type ImageStatus = (typeof IMAGE_STATUSES)[number];

export const VISIBILITIES = ['public', 'private', 'shared', 'community'] as const;
export type Visibility = (typeof VISIBILITIES)[number];

export const DEFAULT_DISK_FORMATS = [
  'ami', 'ari', 'aki', 'vhd', 'vhdx', 'vmdk', 'raw', 'qcow2', 'vdi', 'iso', 'ploop',
] as const;
export const DEFAULT_CONTAINER_FORMATS = [
  'ami', 'ari', 'aki', 'bare', 'ovf', 'ova', 'docker', 'compressed',
] as const;

/** Which status may follow which (Image.valid_state_targets upstream). */
export const STATUS_TRANSITIONS: Record<ImageStatus, readonly ImageStatus[]> = {
  queued: ['saving', 'uploading', 'importing', 'active', 'deleted'],
  saving: ['active', 'killed', 'deleted', 'queued'],
  uploading: ['importing', 'queued', 'deleted'],
  importing: ['active', 'deleted', 'queued'],
  active: ['pending_delete', 'deleted', 'deactivated'],
  deactivated: ['active', 'deleted'],
  pending_delete: ['deleted', 'active'],
  killed: ['deleted'],
  deleted: [],
};

export function canTransition(from: ImageStatus, to: ImageStatus): boolean {
  return STATUS_TRANSITIONS[from].includes(to);
}

/** Who is asking: derived by the API from the auth strategy and passed to the registry. */
export interface CallerContext {
  projectId: string | null;
  userId: string | null;
  roles: string[];
  isAdmin: boolean;
}

export interface ImageLocation {
  url: string;
  metadata: Record<string, unknown>;
  status: 'active' | 'pending_delete' | 'deleted';
}

/** The registry's view of one image, as it travels over the bus. Times are ISO strings. */
export interface ImageRecord {
  id: string;
  name: string | null;
  status: ImageStatus;
  visibility: Visibility;
  protected: boolean;
  osHidden: boolean;
  owner: string | null;
  size: number | null;
  virtualSize: number | null;
  checksum: string | null;
  osHashAlgo: string | null;
  osHashValue: string | null;
  diskFormat: string | null;
  containerFormat: string | null;
  minDisk: number;
  minRam: number;
  createdAt: string;
  updatedAt: string;
  tags: string[];
  properties: Record<string, string>;
  locations: ImageLocation[];
}

/** Core attributes a client may set on create or change through PATCH. */
export interface MutableImageFields {
  name?: string | null;
  visibility?: Visibility;
  protected?: boolean;
  osHidden?: boolean;
  owner?: string | null;
  diskFormat?: string | null;
  containerFormat?: string | null;
  minDisk?: number;
  minRam?: number;
}

export const SORT_KEYS = [
  'name', 'status', 'container_format', 'disk_format', 'size', 'id', 'created_at', 'updated_at',
] as const;
export type SortKey = (typeof SORT_KEYS)[number];
export type SortDir = 'asc' | 'desc';

export interface ImageListFilters {
  name?: string[];
  id?: string[];
  status?: ImageStatus[];
  visibility?: Visibility | 'all';
  owner?: string;
  tags?: string[];
  sizeMin?: number;
  sizeMax?: number;
  diskFormat?: string[];
  containerFormat?: string[];
  checksum?: string;
  osHashValue?: string;
  osHidden?: boolean;
  protected?: boolean;
  properties?: Record<string, string>;
  createdAt?: TimeFilter;
  updatedAt?: TimeFilter;
}

/** created_at/updated_at filters at Glance's second precision: [from, until) in ISO time. */
export interface TimeFilter {
  op: 'gt' | 'gte' | 'eq' | 'neq' | 'lt' | 'lte';
  /** The second named, as an ISO time with no fraction. */
  at: string;
}
