import { Inject, Injectable } from '@nestjs/common';
import { RegistryClient } from '@glimpse/bus';
import { type CallerContext, type ImageLocation, type ImageRecord, RegistrySubjects, type SetLocationsReply, badRequest } from '@glimpse/contracts';
import { StoreError, Stores, storeIdOf } from '@glimpse/stores';
import { API_SETTINGS, type ApiSettings } from '../api.settings';
import { PolicyEnforcer, imageTarget } from '@glimpse/access';
import type { PatchOp } from './json-patch';
import { type NewLocation, planLocations } from './location-patch';
import { StorageQuota } from './storage-quota';

/** Schemes a client may never point an image at: they would expose the service's own files. */
const RESTRICTED_SCHEMES = ['file', 'filesystem', 'swift+config'];

/**
 * Where an image's data lives, as the API shows it: `stores` in multi-store mode, `locations`
 * with show_multiple_locations and `direct_url` with show_image_direct_url, each only to callers
 * that pass get_image_location (Glance hides them from everyone else).
 */
@Injectable()
export class ImageLocations {
  constructor(
    private readonly stores: Stores,
    private readonly policy: PolicyEnforcer,
    private readonly registry: RegistryClient,
    private readonly quota: StorageQuota,
    @Inject(API_SETTINGS) private readonly settings: ApiSettings,
  ) {}

  /**
   * PATCH operations on /locations: policy, Glance's checks, each new URL proven readable with
   * data (size > 0) by an enabled store, the owner's storage quota. Returns null when nothing
   * changes; the caller deletes the data of dropped locations.
   */
  async applyPatch(caller: CallerContext, image: ImageRecord, ops: PatchOp[]): Promise<SetLocationsReply | null> {
    const target = imageTarget(image, caller);
    for (const op of ops) this.policy.authorize(op.op === 'remove' ? 'delete_image_location' : 'set_image_location', caller, target);
    const plan = planLocations(image, ops, this.settings);
    if (!plan.changed) return null;
    const known = new Set(image.locations.map((l) => `${l.url} ${JSON.stringify(l.metadata)}`));
    const added = plan.locations.filter((l) => !known.has(`${l.url} ${JSON.stringify(l.metadata)}`));
    const sizes = await Promise.all(added.map((location) => this.checkedSize(location)));
    const locations = plan.locations.map((location) => this.withStore(location));
    // Every location counts the image's size again against user_storage_quota, as in Glance.
    if (added.length > 0) await this.quota.assertFits(image, (image.size ?? sizes[0] ?? 0) * locations.length);
    const activate = image.status === 'queued' && locations.length > 0 ? { size: sizes[0] ?? 0, ...plan.validation } : undefined;
    return this.registry.request(RegistrySubjects.setLocations, { caller, id: image.id, expectedStatus: image.status, locations, activate });
  }

  /** Glance's _check_location_uri: an external location of a known store, with data behind it. */
  private async checkedSize(location: NewLocation): Promise<number> {
    const scheme = location.url.slice(0, Math.max(0, location.url.indexOf(':'))).toLowerCase();
    if (RESTRICTED_SCHEMES.includes(scheme)) throw badRequest('Invalid location');
    try {
      const store = this.stores.forLocation(location.url, this.storeIdOf(location as ImageLocation));
      const size = await store.size(location.url);
      if (size > 0) return size;
    } catch (error) {
      if (!(error instanceof StoreError) || error.failure === 'unavailable') throw error;
    }
    throw badRequest('Invalid location');
  }

  /** In multi-store mode every location names its store (Glance's get_updated_store_location). */
  private withStore(location: NewLocation): NewLocation {
    if (!this.stores.multiStore || typeof location.metadata['store'] === 'string') return location;
    try {
      return { ...location, metadata: { ...location.metadata, store: this.stores.forLocation(location.url).id } };
    } catch {
      return location;
    }
  }

  /** Active locations, the preferred store first (store weight, highest first, as Glance). */
  ordered(image: ImageRecord): ImageLocation[] {
    return this.stores.ordered(image.locations);
  }

  storeIdOf(location: ImageLocation): string | undefined {
    return storeIdOf(location);
  }

  /** The location fields of the image body for this caller. */
  viewFields(caller: CallerContext, image: ImageRecord): Record<string, unknown> {
    const { showMultipleLocations, showImageDirectUrl } = this.settings;
    if (!this.stores.multiStore && !showMultipleLocations && !showImageDirectUrl) return {};
    const visible = this.mayRead(caller, image) ? image.locations.filter((l) => l.status === 'active') : [];
    const fields: Record<string, unknown> = {};
    const storeIds = [...new Set(visible.map((l) => this.storeIdOf(l)).filter((id): id is string => id !== undefined))];
    if (this.stores.multiStore && storeIds.length > 0) fields['stores'] = storeIds.join(',');
    if (showImageDirectUrl && visible.length > 0) fields['direct_url'] = this.ordered(image)[0].url;
    // In stored order: PATCH positions (/locations/N) count in this list.
    if (showMultipleLocations) fields['locations'] = visible.map((l) => ({ url: l.url, metadata: l.metadata }));
    return fields;
  }

  private mayRead(caller: CallerContext, image: ImageRecord): boolean {
    if (image.status === 'deactivated' && !caller.isAdmin) return false;
    return this.policy.allows('get_image_location', caller, imageTarget(image, caller));
  }
}
