import type {
  CallerContext,
  ImageListFilters,
  ImageLocation,
  ImageRecord,
  ImageStatus,
  MutableImageFields,
  SortDir,
  SortKey,
} from './images';

/**
 * Request-reply subjects answered by apps/registry (the only process that opens the database).
 * Grammar: glimpse.<service>.<noun>.<verb>.v<N>; a breaking change is a new version.
 * Publisher: apps/api (and later scrubber, cache-agent). Consumer: apps/registry.
 */
export const RegistrySubjects = {
  /** Create a queued image. */
  createImage: 'glimpse.registry.image.create.v1',
  /** Fetch one image the caller may see (not_found otherwise). */
  getImage: 'glimpse.registry.image.get.v1',
  /** One page of the images the caller may see. */
  listImages: 'glimpse.registry.image.list.v1',
  /** Change core attributes, custom properties and tags in one transaction. */
  updateImage: 'glimpse.registry.image.update.v1',
  /** Compare-and-swap of the status, with the data fields an upload produces (from = to: the data only). */
  transitionImage: 'glimpse.registry.image.transition.v1',
  /** Soft-delete an image; its locations become pending_delete and are returned. */
  deleteImage: 'glimpse.registry.image.delete.v1',
  /**
   * Make an image's active locations this list: kept where url and metadata match, added where
   * new, dropped (pending_delete, returned for the caller to delete) otherwise; a queued image
   * that gets data becomes active.
   */
  setLocations: 'glimpse.registry.image.locations.set.v1',
  /** Record that the data behind some locations is gone from the store. */
  purgeLocations: 'glimpse.registry.location.purge.v1',
  /** Add one tag (idempotent). */
  addTag: 'glimpse.registry.tag.add.v1',
  /** Remove one tag (not_found when absent). */
  removeTag: 'glimpse.registry.tag.remove.v1',
  /** What a project stores: bytes (size × locations) and image counts, for quotas and /v2/info/usage. */
  getUsage: 'glimpse.registry.usage.get.v1',
  /** The API receiving a saving or uploading (staged) image's data is alive: its updated_at moves on. Replies whether it still is. */
  touchUpload: 'glimpse.registry.image.upload.touch.v1',
  /**
   * Images untouched for staleAfterMs (their API died mid-upload): saving ones become killed,
   * uploading ones without a size (a stage that broke off) queued again; replies their ids.
   */
  killAbandonedUploads: 'glimpse.registry.image.upload.kill-abandoned.v1',
} as const;

export interface UsageRequest {
  owner: string | null;
  /** Leave this image out (the one being uploaded). */
  excludeImageId?: string;
}

export interface UsageReply {
  storedBytes: number;
  imageCount: number;
  uploadingCount: number;
}

export interface CreateImageRequest {
  caller: CallerContext;
  id?: string;
  fields: MutableImageFields;
  tags: string[];
  properties: Record<string, string>;
}

export interface GetImageRequest {
  caller: CallerContext;
  id: string;
}

export interface ListImagesRequest {
  caller: CallerContext;
  filters: ImageListFilters;
  /** Tie-breakers (created_at, id) are appended by the registry. */
  sort: { key: SortKey; dir: SortDir }[];
  limit: number;
  marker?: string;
  /** Shared images the caller is a member of, by member status (issue 3). */
  memberStatus?: 'pending' | 'accepted' | 'rejected' | 'all';
}

export interface ListImagesReply {
  images: ImageRecord[];
}

export interface UpdateImageRequest {
  caller: CallerContext;
  id: string;
  fields: MutableImageFields;
  setProperties: Record<string, string>;
  removeProperties: string[];
  /** When present, the whole tag set is replaced. */
  tags?: string[];
}

export interface TransitionImageRequest {
  caller: CallerContext;
  id: string;
  from: ImageStatus;
  to: ImageStatus;
  /** Set with the status: what an upload produced, or nulls when returning to queued. */
  data?: {
    size: number | null;
    checksum: string | null;
    osHashAlgo: string | null;
    osHashValue: string | null;
    virtualSize?: number | null;
    location?: Omit<ImageLocation, 'status'>;
  };
}

export interface DeleteImageRequest {
  caller: CallerContext;
  id: string;
  /** delayed_delete: keep the data, make the image pending_delete for the scrubber. */
  delayed?: boolean;
}

export interface DeleteImageReply {
  image: ImageRecord;
  /** Locations whose data the caller must now delete from the store. */
  pendingLocations: { id: number; url: string }[];
}

export interface SetLocationsRequest {
  caller: CallerContext;
  id: string;
  /** Compare-and-swap: the status the image was read with; conflict when it moved meanwhile. */
  expectedStatus: ImageStatus;
  locations: Omit<ImageLocation, 'status'>[];
  /** For a queued image: it becomes active, with its size (when unset) and validation data. */
  activate?: { size: number; checksum?: string; osHashAlgo?: string; osHashValue?: string };
}

export interface SetLocationsReply {
  image: ImageRecord;
  dropped: { id: number; url: string }[];
}

export interface KillAbandonedUploadsRequest {
  staleAfterMs: number;
  limit: number;
}

export interface PurgeLocationsRequest {
  imageId: string;
  locationIds: number[];
}

export interface TagRequest {
  caller: CallerContext;
  id: string;
  tag: string;
}

/** Checks both sides: a subject's request and reply types. */
export interface RegistryRequestMap {
  [RegistrySubjects.createImage]: [CreateImageRequest, ImageRecord];
  [RegistrySubjects.getImage]: [GetImageRequest, ImageRecord];
  [RegistrySubjects.listImages]: [ListImagesRequest, ListImagesReply];
  [RegistrySubjects.updateImage]: [UpdateImageRequest, ImageRecord];
  [RegistrySubjects.transitionImage]: [TransitionImageRequest, ImageRecord];
  [RegistrySubjects.deleteImage]: [DeleteImageRequest, DeleteImageReply];
  [RegistrySubjects.setLocations]: [SetLocationsRequest, SetLocationsReply];
  [RegistrySubjects.purgeLocations]: [PurgeLocationsRequest, { purged: number }];
  [RegistrySubjects.addTag]: [TagRequest, ImageRecord];
  [RegistrySubjects.removeTag]: [TagRequest, ImageRecord];
  [RegistrySubjects.getUsage]: [UsageRequest, UsageReply];
  [RegistrySubjects.touchUpload]: [{ id: string }, { saving: boolean }];
  [RegistrySubjects.killAbandonedUploads]: [KillAbandonedUploadsRequest, { imageIds: string[]; unstagedIds: string[] }];
}
