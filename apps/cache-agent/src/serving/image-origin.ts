import { Injectable, Logger } from '@nestjs/common';
import { GlimpseError, type ImageRecord } from '@glimpse/contracts';
import { requestedRange } from '@glimpse/http';
import { StoreError, Stores, type OpenedData } from '@glimpse/stores';
import type { IncomingHttpHeaders } from 'node:http';
import { ImageCache } from '../cache/image-cache';

/** Reads from an image's stores for what the cache does not answer (ranges on a miss, HEAD). */
@Injectable()
export class ImageOrigin {
  private readonly logger = new Logger('ImageOrigin');

  constructor(
    private readonly stores: Stores,
    private readonly cache: ImageCache,
  ) {}

  async open(image: ImageRecord, headers: IncomingHttpHeaders): Promise<OpenedData> {
    try {
      const opened = await this.stores.open(image.locations, {
        size: image.size ?? undefined,
        rangeOf: (size) => requestedRange(headers, size),
        onSkip: (_location, error) => this.logger.warn(`image ${image.id}: location unreadable, trying the next one: ${error.message}`),
      });
      this.cache.stats.originReads++;
      return { ...opened, data: { ...opened.data, stream: this.cache.stats.countOrigin(opened.data.stream) } };
    } catch (error) {
      if (!(error instanceof StoreError)) throw error;
      if (error.failure === 'not_found') throw new GlimpseError('not_found', `Image data of ${image.id} was not found in any store.`);
      throw new GlimpseError('unavailable', `No store could serve image ${image.id}.`);
    }
  }

  /** Starts filling the cache in the background (a Range on a miss still fills it). */
  warm(image: ImageRecord): void {
    if (this.cache.isFilling(image.id)) return;
    this.cache.fill(image).done.catch(() => undefined);
  }
}
