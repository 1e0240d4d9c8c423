import { Inject, Injectable, Logger } from '@nestjs/common';
import { RegistryClient } from '@glimpse/bus';
import {
  type CallerContext,
  GlimpseError,
  type ImageRecord,
  RegistrySubjects,
  badRequest,
  conflict,
} from '@glimpse/contracts';
import { type ByteRange, type ImageData, type StoreBackend, StoreError, type StoredImage, Stores, isStoreFailure, redacted } from '@glimpse/stores';
import { recordSpanFacts } from '@glimpse/telemetry';
import type { Readable } from 'node:stream';
import { API_SETTINGS, type ApiSettings } from '../api.settings';
import { assertSafe } from '../formats/format-inspector';
import { inspectStored } from '../formats/stored-image';
import { ImageAccess } from './image-access';
import { ImageLocations } from './image-locations';
import { AbandonedUploads, uploadLost } from './abandoned-uploads';
import { StorageQuota, quotaExceeded } from './storage-quota';

export interface Download {
  image: ImageRecord;
  data: ImageData;
  range: ByteRange | null;
}

/** Moves image bytes between HTTP and the store, and keeps the status machine honest. */
@Injectable()
export class ImageDataService {
  private readonly logger = new Logger('ImageDataService');

  constructor(
    private readonly registry: RegistryClient,
    private readonly access: ImageAccess,
    private readonly stores: Stores,
    private readonly locations: ImageLocations,
    private readonly quota: StorageQuota,
    private readonly abandoned: AbandonedUploads,
    @Inject(API_SETTINGS) private readonly settings: ApiSettings,
  ) {}

  /**
   * queued → saving → active. On any failure the image returns to queued (as Glance does) and
   * the partial data is removed; if the image was deleted meanwhile the data is removed and 410.
   */
  async upload(caller: CallerContext, id: string, body: Readable, announcedSize: number | undefined, storeId?: string): Promise<ImageRecord> {
    const image = await this.access.authorized(caller, id, 'upload_image');
    const store = this.targetStore(storeId);
    if (image.status !== 'queued') {
      throw conflict(`Image status transition from ${image.status} to saving is not allowed`);
    }
    if (!image.diskFormat || !image.containerFormat) {
      throw badRequest('Properties disk_format, container_format must be set prior to saving data.');
    }
    if (announcedSize !== undefined && announcedSize > this.settings.imageSizeCap) {
      throw new GlimpseError('payload_too_large', `The incoming image is too large: ${announcedSize} bytes exceed image_size_cap ${this.settings.imageSizeCap}.`);
    }
    const quotaRoom = await this.quota.roomFor(image);
    if (announcedSize !== undefined && quotaRoom !== null && announcedSize > quotaRoom) throw quotaExceeded(announcedSize, quotaRoom);
    await this.registry.request(RegistrySubjects.transitionImage, { caller, id, from: 'queued', to: 'saving' });
    const stopHeartbeat = this.abandoned.keepAlive(id, () => body.destroy(uploadLost(id)));
    try {
      return await this.receive(caller, image, store, body, announcedSize, quotaRoom);
    } finally {
      stopHeartbeat();
    }
  }

  /** The saving image's data into the store, inspected, then active; or back to queued. */
  private async receive(
    caller: CallerContext,
    image: ImageRecord,
    store: StoreBackend,
    body: Readable,
    announcedSize: number | undefined,
    quotaRoom: number | null,
  ): Promise<ImageRecord> {
    const id = image.id;
    let stored: StoredImage;
    const maxSize = quotaRoom === null ? this.settings.imageSizeCap : Math.min(quotaRoom, this.settings.imageSizeCap);
    try {
      stored = await store.add(id, body, {
        expectedSize: announcedSize,
        maxSize,
        hashAlgo: this.settings.hashingAlgorithm,
      });
    } catch (error) {
      await this.restoreQueued(caller, id);
      if (isStoreFailure(error, 'too_large') && quotaRoom !== null && quotaRoom < this.settings.imageSizeCap) {
        throw quotaExceeded(maxSize + 1, quotaRoom);
      }
      throw uploadError(error);
    }
    recordSpanFacts({ imageId: id, size: stored.size, store: store.id });

    let virtualSize: number | null;
    try {
      virtualSize = await this.inspectUpload(image, store, stored);
    } catch (error) {
      await store.delete(stored.location).catch(() => undefined);
      await this.restoreQueued(caller, id);
      throw error;
    }

    try {
      return await this.registry.request(RegistrySubjects.transitionImage, {
        caller,
        id,
        from: 'saving',
        to: 'active',
        data: {
          size: stored.size,
          checksum: stored.checksum,
          osHashAlgo: stored.hashAlgo,
          osHashValue: stored.multihash,
          ...(virtualSize !== null ? { virtualSize } : {}),
          location: { url: stored.location, metadata: this.stores.multiStore ? { store: store.id } : {} },
        },
      });
    } catch (error) {
      await store.delete(stored.location).catch(() => undefined);
      if (error instanceof GlimpseError && (error.code === 'gone' || error.code === 'not_found' || error.code === 'conflict')) {
        throw new GlimpseError('gone', `Image ${id} could not be found after upload. The image may have been deleted during the upload, cleaning up the chunks uploaded.`);
      }
      await this.restoreQueued(caller, id);
      throw error;
    }
  }

  /**
   * Glance's in-flight format inspection of a bare upload, done on the stored data's headers:
   * the virtual size when the content is its disk_format, and with require_image_format_match a
   * 415 when it is not, or is unsafe to hand to a hypervisor (a qcow2 backing file, say).
   */
  private async inspectUpload(image: ImageRecord, store: StoreBackend, stored: StoredImage): Promise<number | null> {
    if (image.containerFormat !== 'bare' || image.virtualSize || !image.diskFormat) return null;
    const inspected = await inspectStored(store, stored.location, stored.size);
    try {
      assertSafe(inspected, image.diskFormat);
    } catch (error) {
      if (this.settings.requireImageFormatMatch) throw error;
      this.logger.warn(`image ${image.id}: ${(error as Error).message}; kept, as [image_format] require_image_format_match is false`);
      return null;
    }
    // As Glance's inspector for the declared format says: raw is its data, others their header.
    if (image.diskFormat === 'raw') return stored.size;
    return inspected.format === image.diskFormat && inspected.virtualSize > 0 ? inspected.virtualSize : null;
  }

  /** Checks status and policy before a byte is sent; returns null when the image has no data. */
  async openDownload(
    caller: CallerContext,
    id: string,
    rangeOf: (size: number) => ByteRange | null,
  ): Promise<Download | null> {
    const image = await this.access.visible(caller, id);
    this.access.authorizeDownload(caller, image);
    if (!image.locations.some((location) => location.status === 'active')) return null;
    try {
      const { data, range, store } = await this.stores.open(image.locations, {
        size: image.size ?? undefined,
        rangeOf,
        onSkip: (_location, error) => this.logger.warn(`image ${id}: location unreadable, trying the next one: ${error.message}`),
      });
      recordSpanFacts({ imageId: id, size: image.size, store: store.id });
      return { image, data, range };
    } catch (error) {
      if (!(error instanceof StoreError)) throw error;
      if (error.failure === 'not_found') throw new GlimpseError('not_found', `Image data of ${id} was not found in any store.`);
      throw new GlimpseError('unavailable', `No store could serve image ${id}.`);
    }
  }

  /** Deletes the data behind an image's locations and records which are gone. */
  async deleteData(imageId: string, locations: { id: number; url: string }[]): Promise<void> {
    const purged: number[] = [];
    for (const location of locations) {
      try {
        await this.stores.discard(location.url);
        purged.push(location.id);
      } catch (error) {
        this.logger.error(`image ${imageId}: could not delete ${redacted(location.url)}; it stays pending_delete: ${(error as Error).message}`);
      }
    }
    if (purged.length > 0) await this.registry.request(RegistrySubjects.purgeLocations, { imageId, locationIds: purged });
  }

  /** X-Image-Meta-Store names the store in multi-store mode; Glance ignores it otherwise. */
  private targetStore(storeId: string | undefined): StoreBackend {
    if (!this.stores.multiStore || storeId === undefined) return this.stores.default;
    const store = this.stores.find(storeId);
    if (!store) throw badRequest(`Unknown scheme '${storeId}' found in URI`);
    return store;
  }

  private async restoreQueued(caller: CallerContext, id: string): Promise<void> {
    await this.registry
      .request(RegistrySubjects.transitionImage, {
        caller,
        id,
        from: 'saving',
        to: 'queued',
        data: { size: null, checksum: null, osHashAlgo: null, osHashValue: null, virtualSize: null },
      })
      .catch((error: Error) => this.logger.warn(`image ${id}: could not return to queued: ${error.message}`));
  }
}

/** A failed upload as the client should hear it; a vanished client gets a 400 nobody reads. */
function uploadError(error: unknown): GlimpseError {
  if (error instanceof GlimpseError) return error;
  const code = (error as NodeJS.ErrnoException)?.code;
  if (code === 'ERR_STREAM_PREMATURE_CLOSE' || code === 'ECONNRESET' || code === 'ECONNABORTED') {
    return badRequest('The client closed the connection before the image data was complete.');
  }
  return new GlimpseError('internal', `Failed to upload image data: ${(error as Error)?.message ?? String(error)}`);
}
