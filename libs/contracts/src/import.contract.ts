import type { CallerContext, ImageLocation, ImageRecord, ImageStatus } from './images';

/** Glance's interoperable import methods. */
export const IMPORT_METHODS = ['glance-direct', 'web-download', 'copy-image'] as const;
export type ImportMethod = (typeof IMPORT_METHODS)[number];

export type TaskStatus = 'pending' | 'processing' | 'success' | 'failure';

/** A task of Glance's tasks API; imports record themselves as type api_image_import. */
export interface TaskRecord {
  id: string;
  type: string;
  status: TaskStatus;
  input: Record<string, unknown>;
  result: Record<string, unknown> | null;
  message: string;
  owner: string | null;
  imageId: string | null;
  requestId: string | null;
  userId: string | null;
  expiresAt: string | null;
  createdAt: string;
  updatedAt: string;
}

/** What an import job needs, kept in the task's input so that any worker can (re)run it. */
export interface ImportJob {
  method: ImportMethod;
  uri?: string;
  stores: string[];
  allStoresMustSucceed: boolean;
}

/**
 * The import lock and tasks, answered by the registry (the database is the truth: a worker that
 * dies leaves a task whose heartbeat goes stale, and another worker steals it).
 * Publisher: apps/api (request handlers and ImportWorker). Consumer: apps/registry.
 */
export const ImportSubjects = {
  /** Take the image's import lock (busting a stale one), create the task, move the image to importing. */
  begin: 'glimpse.registry.import.begin.v1',
  /** Give a pending task, or one whose heartbeat is stale, to this worker (compare-and-swap). */
  claim: 'glimpse.registry.task.claim.v1',
  /** The worker still runs the task; false once another worker stole it. */
  heartbeat: 'glimpse.registry.task.heartbeat.v1',
  /** End the import: add the new locations or revert, release the lock, finish the task. */
  finish: 'glimpse.registry.import.finish.v1',
  /** Tasks that need a worker: pending, or processing with a stale heartbeat. */
  orphaned: 'glimpse.registry.task.orphaned.v1',
  getTask: 'glimpse.registry.task.get.v1',
  listTasks: 'glimpse.registry.task.list.v1',
} as const;

/** Trigger of a new import task: one api replica's ImportWorker takes it (queue group). Publisher: api. Consumer: api. */
export const ImportTriggers = {
  run: 'glimpse.import.task.run.v1',
} as const;

export interface BeginImportRequest {
  caller: CallerContext;
  imageId: string;
  /** The status the request was checked against; it moves to `to` atomically. */
  from: ImageStatus;
  to: ImageStatus;
  job: ImportJob;
  requestId: string | null;
  /** A lock whose task has not moved for this long is stale and may be busted. */
  lockTimeoutMs: number;
  /**
   * The input of a legacy `import` task (POST /v2/tasks) this import carries out: the task gets
   * type import and this input, instead of api_image_import.
   */
  legacyInput?: Record<string, unknown>;
}

export interface FinishImportRequest {
  taskId: string;
  workerId: string;
  imageId: string;
  outcome: 'success' | 'failure';
  message: string;
  locations: Omit<ImageLocation, 'status'>[];
  failedStores: string[];
  /** Set on the image with the first data it gets (not for copy-image). */
  data?: { size: number; checksum: string; osHashAlgo: string; osHashValue: string; virtualSize: number | null; diskFormat?: string };
  /** The status the image returns to on failure (queued), or stays in (copy-image: null). */
  revertTo: ImageStatus | null;
}

export interface ImportRequestMap {
  [ImportSubjects.begin]: [BeginImportRequest, { task: TaskRecord; image: ImageRecord }];
  [ImportSubjects.claim]: [{ taskId: string; workerId: string; staleAfterMs: number }, { task: TaskRecord | null }];
  [ImportSubjects.heartbeat]: [{ taskId: string; workerId: string }, { held: boolean }];
  [ImportSubjects.finish]: [FinishImportRequest, { task: TaskRecord; image: ImageRecord | null }];
  [ImportSubjects.orphaned]: [{ staleAfterMs: number; limit: number }, { taskIds: string[] }];
  [ImportSubjects.getTask]: [{ taskId: string }, TaskRecord];
  [ImportSubjects.listTasks]: [{ imageId?: string; owner?: string | null; limit: number }, { tasks: TaskRecord[] }];
}
