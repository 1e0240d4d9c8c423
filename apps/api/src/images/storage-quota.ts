import { Inject, Injectable } from '@nestjs/common';
import { RegistryClient } from '@glimpse/bus';
import { GlimpseError, type ImageRecord, RegistrySubjects } from '@glimpse/contracts';
import { API_SETTINGS, type ApiSettings } from '../api.settings';

/**
 * Glance's user_storage_quota: the bytes an owner may hold, counted as each image's size once
 * per location, over images not killed, deleted or pending_delete. Uploads, imports and copies
 * all spend from it.
 */
@Injectable()
export class StorageQuota {
  constructor(
    private readonly registry: RegistryClient,
    @Inject(API_SETTINGS) private readonly settings: ApiSettings,
  ) {}

  /** Bytes the image's owner may still store, not counting this image's own data; null when unlimited. */
  async roomFor(image: ImageRecord): Promise<number | null> {
    const quota = this.settings.userStorageQuota;
    if (quota <= 0) return null;
    const usage = await this.registry.request(RegistrySubjects.getUsage, { owner: image.owner, excludeImageId: image.id });
    return Math.max(0, quota - usage.storedBytes);
  }

  /** Refuses (413) when this image would hold more than the room its owner has. */
  async assertFits(image: ImageRecord, bytes: number): Promise<void> {
    const room = await this.roomFor(image);
    if (room !== null && bytes > room) throw quotaExceeded(bytes, room);
  }
}

export function quotaExceeded(size: number, room: number): GlimpseError {
  return new GlimpseError(
    'payload_too_large',
    `Denying attempt to upload image because it exceeds the quota: the size of the data (at least ${size} bytes) will exceed the limit; ${room} bytes remaining.`,
  );
}
