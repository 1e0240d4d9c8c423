/**
 * Delayed delete. With delayed_delete on, DELETE leaves the image pending_delete with its data;
 * the scrubber removes the data once scrub_time has passed. Messages are triggers, the registry
 * is the truth: the scrubber scans for due images every wakeup_time.
 */
export const ScrubSubjects = {
  /** pending_delete images whose scrub_time has passed, with their pending locations. Publisher: scrubber. Consumer: registry. */
  due: 'glimpse.registry.scrub.due.v1',
  /** The data behind these locations is gone; the image becomes deleted when none remain. Publisher: scrubber. Consumer: registry. */
  done: 'glimpse.registry.scrub.done.v1',
  /** Bring a pending_delete image back to active with its properties, tags, members and locations. Publisher: scrubber CLI. Consumer: registry. */
  restore: 'glimpse.registry.image.restore.v1',
} as const;

/** Readable facts for operators. Publisher: scrubber. Consumers: operators (cache agents later). */
export const ScrubEvents = {
  scrubbed: 'glimpse.scrub.image.scrubbed.v1',
  failed: 'glimpse.scrub.image.failed.v1',
  restored: 'glimpse.scrub.image.restored.v1',
} as const;

export interface DueImage {
  imageId: string;
  locations: { id: number; url: string }[];
}

export interface ScrubRequestMap {
  [ScrubSubjects.due]: [{ scrubTimeSeconds: number; limit: number }, { images: DueImage[] }];
  [ScrubSubjects.done]: [{ imageId: string; locationIds: number[] }, { imageId: string; status: 'deleted' | 'pending_delete' }];
  [ScrubSubjects.restore]: [{ imageId: string }, { imageId: string; status: 'active' }];
}

export interface ScrubEvent {
  imageId: string;
  at: string;
  error?: string;
}
