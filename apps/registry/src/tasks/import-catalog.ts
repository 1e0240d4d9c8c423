import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import {
  type BeginImportRequest,
  type FinishImportRequest,
  type ImageRecord,
  type TaskRecord,
  type TaskStatus,
  conflict,
  notFound,
} from '@glimpse/contracts';
import { DataSource, type EntityManager, In, LessThan } from 'typeorm';
import { WriteSerializer } from '../database/write-serializer';
import { ImageEntity, ImageLocationEntity, ImagePropertyEntity } from '../images/image.entities';
import { ImageCatalog } from '../images/image-catalog';
import { TaskEntity } from './task.entity';

/** Glance's task_time_to_live: a finished task is kept this long. */
const TASK_TTL_MS = 48 * 3600 * 1000;
export const IMPORT_LOCK = 'os_glance_import_task';
export const IMPORTING_TO = 'os_glance_importing_to_stores';
export const FAILED_IMPORT = 'os_glance_failed_import';
const LOCK_PROPERTIES = [IMPORT_LOCK, IMPORTING_TO, FAILED_IMPORT];
/** The finished image is read back whoever started the import. */
const SERVICE = { projectId: null, userId: null, roles: ['admin'], isAdmin: true };

/**
 * The import lock and the tasks table. The lock is the image property os_glance_import_task; a
 * task whose heartbeat (updated_at) is older than the lock timeout may be taken over.
 */
@Injectable()
export class ImportCatalog {
  constructor(
    private readonly db: DataSource,
    private readonly writes: WriteSerializer,
    private readonly images: ImageCatalog,
  ) {}

  async begin(request: BeginImportRequest): Promise<{ task: TaskRecord; image: ImageRecord }> {
    const { imageId, caller, job } = request;
    await this.images.get(caller, imageId);
    const id = randomUUID();
    await this.writes.transaction(async (tx) => {
      const now = new Date();
      await this.bustStaleLock(tx, imageId, request.lockTimeoutMs, now);
      const moved = await tx.update(ImageEntity, { id: imageId, status: request.from, deleted: false }, { status: request.to, updatedAt: now });
      if (!moved.affected) throw conflict(`Image status transition from ${request.from} to ${request.to} is not allowed`);
      await tx.insert(TaskEntity, {
        id,
        type: request.legacyInput ? 'import' : 'api_image_import',
        status: 'pending',
        input: JSON.stringify({ ...(request.legacyInput ?? { image_id: imageId, backend: job.stores }), import_req: job }),
        result: null,
        message: '',
        owner: caller.projectId,
        imageId,
        requestId: request.requestId,
        userId: caller.userId,
        worker: null,
        expiresAt: null,
        createdAt: now,
        updatedAt: now,
      });
      await setProperties(tx, imageId, { [IMPORT_LOCK]: id, [IMPORTING_TO]: job.stores.join(',') }, [FAILED_IMPORT]);
    });
    return { task: await this.getTask(id), image: await this.images.get(caller, imageId) };
  }

  /** Gives the task to this worker when it is pending or its heartbeat is stale (compare-and-swap). */
  async claim(taskId: string, worker: string, staleAfterMs: number): Promise<TaskRecord | null> {
    const claimed = await this.writes.transaction(async (tx) => {
      const now = new Date();
      const values = { status: 'processing', worker, updatedAt: now };
      const fresh = await tx.update(TaskEntity, { id: taskId, status: 'pending' }, values);
      if (fresh.affected) return true;
      const stale = await tx.update(TaskEntity, { id: taskId, status: 'processing', updatedAt: LessThan(new Date(now.getTime() - staleAfterMs)) }, values);
      return Boolean(stale.affected);
    });
    return claimed ? this.getTask(taskId) : null;
  }

  async heartbeat(taskId: string, worker: string): Promise<boolean> {
    const touched = await this.writes.transaction((tx) => tx.update(TaskEntity, { id: taskId, worker, status: 'processing' }, { updatedAt: new Date() }));
    return Boolean(touched.affected);
  }

  /**
   * Records the outcome. The task must still be this worker's. An image deleted meanwhile gets
   * no locations (the reply's image is null: the worker removes the data it wrote).
   */
  async finish(request: FinishImportRequest): Promise<{ task: TaskRecord; image: ImageRecord | null }> {
    const { taskId, imageId } = request;
    let imageGone = false;
    await this.writes.transaction(async (tx) => {
      const now = new Date();
      const task = await tx.findOneBy(TaskEntity, { id: taskId });
      if (!task || task.worker !== request.workerId || task.status !== 'processing') {
        throw conflict(`Import task ${taskId} is no longer run by this worker.`);
      }
      const image = await tx.findOneBy(ImageEntity, { id: imageId, deleted: false });
      imageGone = !image;
      let outcome: TaskStatus = request.outcome;
      let message = request.message;
      if (image) {
        await this.applyOutcome(tx, image, request, now);
        await releaseLock(tx, imageId, taskId, request.failedStores);
      } else {
        outcome = 'failure';
        message = `Image ${imageId} was deleted during the import.`;
      }
      await tx.update(TaskEntity, { id: taskId }, {
        status: outcome,
        message,
        result: JSON.stringify(outcome === 'success' ? { image_id: imageId } : {}),
        updatedAt: now,
        expiresAt: new Date(now.getTime() + TASK_TTL_MS),
      });
    });
    return { task: await this.getTask(taskId), image: imageGone ? null : await this.imageById(imageId) };
  }

  /** Pending tasks (their trigger may be lost) and processing ones whose worker went quiet. */
  async orphaned(staleAfterMs: number, limit: number): Promise<string[]> {
    const tasks = this.db.getRepository(TaskEntity);
    const stale = new Date(Date.now() - staleAfterMs);
    const rows = [
      ...(await tasks.find({ where: { status: 'pending' }, order: { createdAt: 'ASC' }, take: limit, select: { id: true } })),
      ...(await tasks.find({ where: { status: 'processing', updatedAt: LessThan(stale) }, order: { updatedAt: 'ASC' }, take: limit, select: { id: true } })),
    ];
    return rows.slice(0, limit).map((row) => row.id);
  }

  async getTask(taskId: string): Promise<TaskRecord> {
    const task = await this.db.getRepository(TaskEntity).findOneBy({ id: taskId });
    if (!task) throw notFound(`Task with the given id ${taskId} not found`);
    return taskRecord(task);
  }

  async listTasks(filter: { imageId?: string; owner?: string | null }, limit: number): Promise<TaskRecord[]> {
    const where: Record<string, unknown> = {};
    if (filter.imageId !== undefined) where['imageId'] = filter.imageId;
    if (filter.owner !== undefined && filter.owner !== null) where['owner'] = filter.owner;
    const rows = await this.db.getRepository(TaskEntity).find({ where, order: { createdAt: 'DESC', id: 'DESC' }, take: limit });
    return rows.map(taskRecord);
  }

  private async applyOutcome(tx: EntityManager, image: ImageEntity, request: FinishImportRequest, now: Date): Promise<void> {
    const { imageId } = request;
    if (request.outcome === 'success') {
      for (const location of request.locations) {
        await tx.insert(ImageLocationEntity, { imageId, value: location.url, metaData: JSON.stringify(location.metadata), status: 'active', createdAt: now, updatedAt: now });
      }
      const data = request.data;
      const values: Partial<ImageEntity> = { updatedAt: now };
      if (data) {
        Object.assign(values, { status: 'active', size: data.size, checksum: data.checksum, osHashAlgo: data.osHashAlgo, osHashValue: data.osHashValue, virtualSize: data.virtualSize });
        if (data.diskFormat) values.diskFormat = data.diskFormat;
      }
      await tx.update(ImageEntity, { id: imageId }, values);
    } else if (request.revertTo && image.status === 'importing') {
      await tx.update(ImageEntity, { id: imageId }, { status: request.revertTo, size: null, updatedAt: now });
    }
  }

  private async bustStaleLock(tx: EntityManager, imageId: string, lockTimeoutMs: number, now: Date): Promise<void> {
    const lock = await tx.findOneBy(ImagePropertyEntity, { imageId, name: IMPORT_LOCK });
    if (!lock) return;
    const holder = await tx.findOneBy(TaskEntity, { id: lock.value });
    const running = holder && (holder.status === 'pending' || holder.status === 'processing');
    // Glance gives a pending task twice as long before its lock counts as stale.
    const timeout = holder?.status === 'pending' ? 2 * lockTimeoutMs : lockTimeoutMs;
    if (running && now.getTime() - new Date(holder.updatedAt).getTime() < timeout) throw conflict('Image has active task');
    if (running) {
      await tx.update(TaskEntity, { id: holder.id }, { status: 'failure', message: 'Expired lock preempted', updatedAt: now, expiresAt: new Date(now.getTime() + TASK_TTL_MS) });
    }
    await tx.delete(ImagePropertyEntity, { imageId, name: In(LOCK_PROPERTIES) });
  }

  private imageById(imageId: string): Promise<ImageRecord | null> {
    return this.images.get(SERVICE, imageId).catch(() => null);
  }
}

async function setProperties(tx: EntityManager, imageId: string, set: Record<string, string>, remove: string[]): Promise<void> {
  await tx.delete(ImagePropertyEntity, { imageId, name: In([...Object.keys(set), ...remove]) });
  const rows = Object.entries(set).map(([name, value]) => ({ imageId, name, value }));
  if (rows.length > 0) await tx.insert(ImagePropertyEntity, rows);
}

async function releaseLock(tx: EntityManager, imageId: string, taskId: string, failedStores: string[]): Promise<void> {
  const lock = await tx.findOneBy(ImagePropertyEntity, { imageId, name: IMPORT_LOCK });
  if (lock && lock.value !== taskId) return;
  await setProperties(tx, imageId, failedStores.length > 0 ? { [FAILED_IMPORT]: failedStores.join(',') } : {}, LOCK_PROPERTIES);
}

function taskRecord(task: TaskEntity): TaskRecord {
  const iso = (value: Date | string | null) => (value === null ? null : new Date(value).toISOString());
  return {
    id: task.id,
    type: task.type,
    status: task.status as TaskStatus,
    input: JSON.parse(task.input) as Record<string, unknown>,
    result: task.result === null ? null : (JSON.parse(task.result) as Record<string, unknown>),
    message: task.message,
    owner: task.owner,
    imageId: task.imageId,
    requestId: task.requestId,
    userId: task.userId,
    expiresAt: iso(task.expiresAt),
    createdAt: iso(task.createdAt)!,
    updatedAt: iso(task.updatedAt)!,
  };
}
