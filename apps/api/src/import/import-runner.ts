import { Inject, Injectable, Logger } from '@nestjs/common';
import { RegistryClient } from '@glimpse/bus';
import {
  type CallerContext,
  type FinishImportRequest,
  type ImageLocation,
  type ImageRecord,
  type ImportJob,
  ImportSubjects,
  RegistrySubjects,
  type TaskRecord,
} from '@glimpse/contracts';
import { HttpStore, RemoteUrlPolicy, type StoredImage, Stores, isStoreFailure, redacted } from '@glimpse/stores';
import { API_SETTINGS, type ApiSettings } from '../api.settings';
import { ImageLocations } from '../images/image-locations';
import { StorageQuota, quotaExceeded } from '../images/storage-quota';
import { ImportPlugins } from './import-plugins';
import { StagingArea } from './staging-area';

/** The worker's own identity towards the registry: imports run on behalf of the service. */
const SERVICE_CALLER: CallerContext = { projectId: null, userId: null, roles: ['admin'], isAdmin: true };

export class ImportAborted extends Error {
  constructor() {
    super('another worker took the import over');
  }
}

interface Written {
  store: string;
  stored: StoredImage;
}

/**
 * Runs one import task: the data into the staging area (downloaded, copied or already staged),
 * the import plugins, then into every target store; the registry records the outcome.
 */
@Injectable()
export class ImportRunner {
  private readonly logger = new Logger('ImportRunner');
  private readonly web: HttpStore;

  constructor(
    private readonly registry: RegistryClient,
    private readonly stores: Stores,
    private readonly locations: ImageLocations,
    private readonly staging: StagingArea,
    private readonly plugins: ImportPlugins,
    private readonly quota: StorageQuota,
    @Inject(API_SETTINGS) private readonly settings: ApiSettings,
  ) {
    this.web = new HttpStore({ timeoutMs: settings.webDownloadTimeoutMs, maxRedirects: 5, policy: new RemoteUrlPolicy(settings.remoteUrls) });
  }

  async execute(task: TaskRecord, workerId: string, signal: AbortSignal): Promise<void> {
    const job = task.input['import_req'] as ImportJob;
    const imageId = task.imageId!;
    const written: Written[] = [];
    const finish = (outcome: Omit<FinishImportRequest, 'taskId' | 'workerId' | 'imageId'>) =>
      this.registry.request(ImportSubjects.finish, { taskId: task.id, workerId, imageId, ...outcome });
    try {
      const image = await this.registry.request(RegistrySubjects.getImage, { caller: SERVICE_CALLER, id: imageId });
      await this.fillStaging(job, image);
      checkAborted(signal);
      const prepared = job.method === 'copy-image' ? null : await this.plugins.run(imageId, image, this.staging.pathOf(imageId));
      await this.assertQuota(job, image);
      const failedStores: string[] = [];
      for (const store of job.stores) {
        checkAborted(signal);
        try {
          written.push({ store, stored: await this.addTo(store, imageId) });
        } catch (error) {
          this.logger.warn(`import ${task.id}: store ${store} failed: ${(error as Error).message}`);
          failedStores.push(store);
        }
      }
      checkAborted(signal);
      const failed = written.length === 0 || (job.allStoresMustSucceed && failedStores.length > 0);
      if (failed) {
        await this.discard(written);
        await finish({ outcome: 'failure', message: `Import to ${failedStores.join(', ')} failed.`, locations: [], failedStores, revertTo: revertOf(job) });
        return;
      }
      const first = written[0].stored;
      const reply = await finish({
        outcome: 'success',
        message: '',
        locations: written.map(({ store, stored }) => ({ url: stored.location, metadata: this.stores.multiStore ? { store } : {} })),
        failedStores,
        revertTo: null,
        ...(job.method === 'copy-image'
          ? {}
          : { data: { size: first.size, checksum: first.checksum, osHashAlgo: first.hashAlgo, osHashValue: first.multihash, virtualSize: prepared?.virtualSize ?? null, diskFormat: prepared?.diskFormat } }),
      });
      if (!reply.image) await this.discard(written);
    } catch (error) {
      await this.discard(written);
      if (error instanceof ImportAborted) throw error;
      await finish({ outcome: 'failure', message: (error as Error).message, locations: [], failedStores: [], revertTo: revertOf(job) }).catch((finishError: Error) =>
        this.logger.error(`import ${task.id}: could not record the failure: ${finishError.message}`),
      );
    } finally {
      if (!signal.aborted) await this.staging.remove(imageId).catch(() => undefined);
    }
  }

  /** The owner's user_storage_quota pays for one copy per target store, beside what the image holds. */
  private async assertQuota(job: ImportJob, image: ImageRecord): Promise<void> {
    const size = (await this.staging.stat(image.id)).size;
    const held = job.method === 'copy-image' ? image.locations.filter((l) => l.status === 'active').length : 0;
    await this.quota.assertFits(image, size * (held + job.stores.length));
  }

  private async fillStaging(job: ImportJob, image: ImageRecord): Promise<void> {
    // A download stops as soon as it outgrows the owner's quota.
    const room = job.method === 'web-download' ? await this.quota.roomFor(image) : null;
    const maxSize = room === null ? this.settings.imageSizeCap : Math.min(room, this.settings.imageSizeCap);
    const options = { maxSize, hashAlgo: this.settings.hashingAlgorithm };
    if (job.method === 'glance-direct') {
      if (!(await this.staging.has(image.id))) throw new Error(`The staged data of image ${image.id} is gone: stage it again.`);
      return;
    }
    if (job.method === 'web-download') {
      const data = await this.web.get(job.uri!);
      await this.staging.write(image.id, data.stream, options).catch((error: unknown) => {
        throw room !== null && room < this.settings.imageSizeCap && isStoreFailure(error, 'too_large') ? quotaExceeded(maxSize + 1, room) : error;
      });
      return;
    }
    await this.staging.write(image.id, (await this.readExisting(image)).stream, { ...options, expectedSize: image.size ?? undefined });
  }

  /** copy-image reads the image from the first store that serves it. */
  private async readExisting(image: ImageRecord) {
    let lastError: unknown = new Error(`Image ${image.id} has no data to copy.`);
    for (const location of this.locations.ordered(image)) {
      try {
        return await this.stores.forLocation(location.url, this.locations.storeIdOf(location as ImageLocation)).get(location.url);
      } catch (error) {
        lastError = error;
      }
    }
    throw lastError;
  }

  private async addTo(storeId: string, imageId: string): Promise<StoredImage> {
    const store = this.stores.find(storeId) ?? this.stores.default;
    const size = (await this.staging.stat(imageId)).size;
    return store.add(imageId, this.staging.open(imageId), { expectedSize: size, maxSize: this.settings.imageSizeCap, hashAlgo: this.settings.hashingAlgorithm });
  }

  private async discard(written: Written[]): Promise<void> {
    for (const { store, stored } of written) {
      await this.stores.discard(stored.location, store).catch((error: Error) =>
        this.logger.error(`could not remove ${redacted(stored.location)} from ${store}: ${error.message}`),
      );
    }
  }
}

function checkAborted(signal: AbortSignal): void {
  if (signal.aborted) throw new ImportAborted();
}

/** A failed import puts the image back to queued; a failed copy leaves it active. */
function revertOf(job: ImportJob): 'queued' | null {
  return job.method === 'copy-image' ? null : 'queued';
}
