/**
 * Delayed delete. With delayed_delete on, DELETE leaves the image pending_delete with its data;
 * the registry, after commit, puts a scrub job on the durable work queue, and the scrubber
 * removes the data once scrub_time has passed, retrying a failing store with backoff. Messages
 * are triggers, the registry is the truth: the scrubber also scans for due images every
 * wakeup_time, and every image is claimed in the registry (a compare-and-swap on its location
 * rows) before its data is deleted, so two scrubbers never delete the same image.
 */
export const ScrubSubjects = {
  /** pending_delete images whose scrub_time has passed, with their pending locations. Publisher: scrubber. Consumer: registry. */
  due: 'glimpse.registry.scrub.due.v1',
  /** Claim a due image for this scrubber (its pending_delete locations become scrubbing); refused when not due, restored, gone or claimed by another. Publisher: scrubber. Consumer: registry. */
  claim: 'glimpse.registry.scrub.claim.v1',
  /** The data behind these claimed locations is gone (the others are released); the image becomes deleted when none remain. Publisher: scrubber. Consumer: registry. */
  done: 'glimpse.registry.scrub.done.v1',
  /** Bring a pending_delete image back to active with its properties, tags, members and locations. Publisher: scrubber CLI. Consumer: registry. */
  restore: 'glimpse.registry.image.restore.v1',
  /** The scrubber's backlog, failures and last pass. Publisher: scrubber CLI, operators. Consumer: scrubber daemon. */
  status: 'glimpse.scrub.status.v1',
} as const;

/** The durable work queue of delayed deletes (JetStream `<ns>.jobs.scrub.<image id>`). Publisher: registry, after commit (restore cancels). Consumer: scrubber (durable `scrubber`). */
export const SCRUB_QUEUE = 'scrub';

export interface ScrubJob {
  imageId: string;
  /** When the image became pending_delete; it is due scrub_time later. */
  deletedAt: string;
}

/** Readable facts for operators. Publisher: registry (queued, scrubbed: it commits them), scrubber (failed, restored). Consumers: operators (cache agents later). */
export const ScrubEvents = {
  queued: 'glimpse.scrub.image.queued.v1',
  scrubbed: 'glimpse.scrub.image.scrubbed.v1',
  failed: 'glimpse.scrub.image.failed.v1',
  restored: 'glimpse.scrub.image.restored.v1',
} as const;

export interface DueImage {
  imageId: string;
  locations: { id: number; url: string }[];
}

export type ScrubClaim =
  | { outcome: 'claimed'; locations: { id: number; url: string }[] }
  /** scrub_time has not passed yet. */
  | { outcome: 'not_due'; dueInMs: number }
  /** Another scrubber holds a fresh claim. */
  | { outcome: 'busy'; retryInMs: number }
  /** Nothing to scrub: restored, already deleted, or unknown. */
  | { outcome: 'gone' };

export interface ScrubFailure {
  imageId: string;
  error: string;
  attempt: number;
  /** The queue dropped the job (the registry scan still retries every wakeup_time). */
  final: boolean;
  at: string;
}

export interface ScrubStatus {
  pid: number;
  /** Jobs waiting (or running) in the scrub queue. */
  pending: number;
  scrubbedTotal: number;
  failedTotal: number;
  /** The latest failures, newest last (at most 50). */
  failures: ScrubFailure[];
  lastPass: { at: string; scrubbed: number; failed: number; durationMs: number } | null;
  /** Scans of the registry since the daemon started (one per wakeup_time). */
  wakeups: number;
  heapUsedBytes: number;
}

export interface ScrubRequestMap {
  [ScrubSubjects.due]: [{ scrubTimeSeconds: number; limit: number }, { images: DueImage[] }];
  [ScrubSubjects.claim]: [{ imageId: string; scrubTimeSeconds: number; claimTimeoutMs: number }, ScrubClaim];
  [ScrubSubjects.done]: [
    { imageId: string; locationIds: number[]; releasedIds?: number[] },
    { imageId: string; status: 'deleted' | 'pending_delete' },
  ];
  [ScrubSubjects.restore]: [{ imageId: string }, { imageId: string; status: 'active' }];
  [ScrubSubjects.status]: [Record<string, never>, ScrubStatus];
}

export interface ScrubEvent {
  imageId: string;
  at: string;
  error?: string;
}
