import { Inject, Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { RegistryClient } from '@glimpse/bus';
import { GlimpseError, RegistrySubjects } from '@glimpse/contracts';
import { Stores } from '@glimpse/stores';
import { API_SETTINGS, type ApiSettings } from '../api.settings';
import { StagingArea } from '../import/staging-area';

const KILLED_PER_ROUND = 20;

/**
 * Uploads whose API died. While this API receives an image's data (PUT /file or /stage) it
 * heartbeats the image; on a timer it has the registry kill saving images nobody heartbeated for
 * abandoned_upload_timeout (Glance leaves them saving for ever) and removes what their uploads
 * left in the stores; a stage that broke off goes back to queued, and partial files in this
 * API's staging area older than the timeout go. Every API replica runs the timer: the kill is a
 * compare-and-swap, and a purge of what is already gone does nothing. A purge that fails is
 * retried when the image is deleted.
 */
@Injectable()
export class AbandonedUploads implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger('AbandonedUploads');
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly registry: RegistryClient,
    private readonly stores: Stores,
    private readonly staging: StagingArea,
    @Inject(API_SETTINGS) private readonly settings: ApiSettings,
  ) {}

  private get timeoutMs(): number {
    return this.settings.abandonedUploadTimeoutMs;
  }

  onModuleInit(): void {
    if (this.timeoutMs <= 0) return;
    this.timer = setInterval(() => void this.reap(), Math.min(30_000, Math.max(200, Math.floor(this.timeoutMs / 2))));
    this.timer.unref();
  }

  onModuleDestroy(): void {
    if (this.timer) clearInterval(this.timer);
  }

  /**
   * Heartbeats the image until the returned function is called. `onLost` runs once the image is
   * no longer saving or uploading (deleted meanwhile, or killed while its heartbeats failed): the
   * caller cuts the upload off.
   */
  keepAlive(imageId: string, onLost: () => void): () => void {
    if (this.timeoutMs <= 0) return () => undefined;
    const beat = setInterval(() => {
      this.registry.request(RegistrySubjects.touchUpload, { id: imageId }).then(
        ({ saving }) => {
          if (saving) return;
          clearInterval(beat);
          onLost();
        },
        (error: Error) => this.logger.warn(`image ${imageId}: upload heartbeat failed: ${error.message}`),
      );
    }, Math.min(30_000, Math.max(100, Math.floor(this.timeoutMs / 4))));
    // Unreferenced: a heartbeat alone never keeps the process up.
    beat.unref();
    return () => clearInterval(beat);
  }

  async reap(): Promise<void> {
    let reaped: { imageIds: string[]; unstagedIds: string[] };
    try {
      reaped = await this.registry.request(RegistrySubjects.killAbandonedUploads, { staleAfterMs: this.timeoutMs, limit: KILLED_PER_ROUND });
    } catch (error) {
      this.logger.warn(`looking for abandoned uploads failed: ${(error as Error).message}`);
      return;
    }
    for (const id of reaped.imageIds) {
      this.logger.warn(`image ${id}: its upload was abandoned (no heartbeat for ${this.timeoutMs / 1000} s), the image is killed`);
      await this.purge(id);
    }
    for (const id of reaped.unstagedIds) this.logger.warn(`image ${id}: its stage was abandoned, the image is queued again`);
    const removed = await this.staging.removeStalePartials(this.timeoutMs).catch((error: Error) => {
      this.logger.error(`partial staged files could not be removed: ${error.message}`);
      return [];
    });
    if (removed.length > 0) this.logger.warn(`removed ${removed.length} partial staged file(s) no upload wrote to for ${this.timeoutMs / 1000} s`);
  }

  /** Removes what an abandoned upload of the image left in the stores; failures are only logged. */
  async purge(imageId: string): Promise<void> {
    await this.stores.purgeUpload(imageId).catch((error: Error) => this.logger.error(`image ${imageId}: what its upload left could not be removed: ${error.message}`));
  }
}

/** The error an upload is cut off with once its image is no longer receiving data. */
export function uploadLost(imageId: string): GlimpseError {
  return new GlimpseError('gone', `Image ${imageId} is no longer receiving data (deleted meanwhile, or killed as an abandoned upload): the upload is cut off.`);
}
