import { Inject, Injectable, Logger } from '@nestjs/common';
import { BusClient, RegistryClient } from '@glimpse/bus';
import {
  type CallerContext,
  GlimpseError,
  type ImageRecord,
  ImportSubjects,
  ImportTriggers,
  RegistrySubjects,
  type TaskRecord,
  conflict,
  notFound,
} from '@glimpse/contracts';
import { RemoteUrlPolicy, StoreError, Stores } from '@glimpse/stores';
import type { Readable } from 'node:stream';
import { API_SETTINGS, type ApiSettings } from '../api.settings';
import { ImageAccess } from '../images/image-access';
import { AbandonedUploads, uploadLost } from '../images/abandoned-uploads';
import { ImageFactory } from '../images/image-factory';
import { importJob, importTransition, parseImportBody, targetStores } from './import-request';
import { parseLegacyImportTask } from './legacy-import-task';
import { StagingArea } from './staging-area';

/** The request side of interoperable import: stage, check and lock, then hand the job to a worker. */
@Injectable()
export class ImportService {
  private readonly logger = new Logger('ImportService');
  private readonly remoteUrls: RemoteUrlPolicy;

  constructor(
    private readonly registry: RegistryClient,
    private readonly access: ImageAccess,
    private readonly stores: Stores,
    private readonly staging: StagingArea,
    private readonly bus: BusClient,
    private readonly factory: ImageFactory,
    private readonly abandoned: AbandonedUploads,
    @Inject(API_SETTINGS) private readonly settings: ApiSettings,
  ) {
    this.remoteUrls = new RemoteUrlPolicy(settings.remoteUrls);
  }

  /** PUT /stage: queued → uploading, the data in the staging area, the size set. */
  async stage(caller: CallerContext, id: string, body: Readable, announcedSize: number | undefined): Promise<void> {
    if (!this.settings.enabledImportMethods.includes('glance-direct')) throw notFound('glance-direct method is not available at this site.');
    const image = await this.access.authorized(caller, id, 'modify_image');
    if (image.status !== 'queued') throw conflict(`Image status transition from ${image.status} to uploading is not allowed`);
    if (announcedSize !== undefined && announcedSize > this.settings.imageSizeCap) {
      throw new GlimpseError('payload_too_large', `The incoming image is too large: ${announcedSize} bytes exceed image_size_cap ${this.settings.imageSizeCap}.`);
    }
    await this.registry.request(RegistrySubjects.transitionImage, { caller, id, from: 'queued', to: 'uploading' });
    const stopHeartbeat = this.abandoned.keepAlive(id, () => body.destroy(uploadLost(id)));
    let size: number;
    try {
      size = (await this.staging.write(id, body, { expectedSize: announcedSize, maxSize: this.settings.imageSizeCap, hashAlgo: this.settings.hashingAlgorithm })).size;
    } catch (error) {
      await this.staging.remove(id).catch(() => undefined);
      await this.backToQueued(caller, id);
      throw error instanceof GlimpseError ? error : new GlimpseError('internal', `Failed to stage image data: ${(error as Error).message}`);
    } finally {
      stopHeartbeat();
    }
    await this.registry
      .request(RegistrySubjects.transitionImage, { caller, id, from: 'uploading', to: 'uploading', data: { size, checksum: null, osHashAlgo: null, osHashValue: null } })
      .catch(async (error: unknown) => {
        await this.staging.remove(id);
        throw error;
      });
  }

  /** POST /import: Glance's checks, the lock and the task; a worker does the work (202). */
  async start(caller: CallerContext, id: string, body: unknown, storeHeader: string | undefined, requestId: string | null): Promise<void> {
    const request = parseImportBody(body, this.settings.enabledImportMethods);
    const image = await this.access.visible(caller, id);
    const { from, to } = importTransition(image, request.method);
    this.access.authorize(request.method === 'copy-image' ? 'copy_image' : 'modify_image', caller, image);
    if (request.method === 'web-download') await this.checkRemoteUrl(request.uri);
    const stores = targetStores(request, storeHeader, this.storeChoice(), image);
    if (stores.length === 0) return; // copy-image with all_stores to stores that all hold it: nothing to do
    const { task } = await this.registry.request(ImportSubjects.begin, {
      caller,
      imageId: id,
      from,
      to,
      job: importJob(request, stores),
      requestId,
      lockTimeoutMs: this.settings.importLockTimeoutMs,
    });
    this.bus.emit(ImportTriggers.run, { taskId: task.id });
  }

  /**
   * POST /v2/tasks of type import (Glance's deprecated tasks API): the image is created from
   * image_properties and import_from is web-downloaded into the default store, as a task of type
   * import whose result names the image.
   */
  async startLegacyTask(caller: CallerContext, body: unknown, requestId: string | null): Promise<TaskRecord> {
    const legacy = parseLegacyImportTask(body);
    await this.checkRemoteUrl(legacy.importFrom, 'URI for legacy import task does not pass filtering');
    const image = await this.factory.create(caller, legacy.imageProperties);
    const { from, to } = importTransition(image, 'web-download');
    const { task } = await this.registry.request(ImportSubjects.begin, {
      caller,
      imageId: image.id,
      from,
      to,
      job: { method: 'web-download', uri: legacy.importFrom, stores: [this.stores.default.id], allStoresMustSucceed: false },
      requestId,
      lockTimeoutMs: this.settings.importLockTimeoutMs,
      legacyInput: legacy.input,
    });
    this.bus.emit(ImportTriggers.run, { taskId: task.id });
    return task;
  }

  /** Staged data of a deleted image is no longer anyone's. */
  async discardStaged(imageId: string): Promise<void> {
    await this.staging.remove(imageId).catch((error: Error) => this.logger.warn(`image ${imageId}: staged data not removed: ${error.message}`));
  }

  private storeChoice() {
    const all = this.stores.list();
    return {
      multiStore: this.stores.multiStore,
      defaultStore: this.stores.default.id,
      writable: all.filter((s) => s.capabilities.write).map((s) => s.id),
      known: all.map((s) => s.id),
    };
  }

  private async checkRemoteUrl(uri: string | undefined, refusal = 'URI for web-download does not pass filtering'): Promise<void> {
    if (!uri) throw new GlimpseError('bad_request', "Import method web-download requires a 'uri' field.");
    try {
      await this.remoteUrls.check(uri);
    } catch (error) {
      if (error instanceof StoreError && error.failure !== 'unavailable') {
        throw new GlimpseError('bad_request', `${refusal}: ${error.message}`);
      }
      throw error;
    }
  }

  private async backToQueued(caller: CallerContext, id: string): Promise<ImageRecord | void> {
    return this.registry
      .request(RegistrySubjects.transitionImage, { caller, id, from: 'uploading', to: 'queued', data: { size: null, checksum: null, osHashAlgo: null, osHashValue: null } })
      .catch((error: Error) => this.logger.warn(`image ${id}: could not return to queued: ${error.message}`));
  }
}
