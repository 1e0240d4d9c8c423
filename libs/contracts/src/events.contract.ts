import type { ImageStatus } from './images';

/**
 * Facts published after commit, one subject each, readable in `nats sub 'glimpse.events.>'`.
 * Publisher: apps/registry. Consumers: operators; apps/cache-agent evicts on deleted and deactivated.
 */
export const ImageEvents = {
  created: 'glimpse.events.image.created.v1',
  updated: 'glimpse.events.image.updated.v1',
  activated: 'glimpse.events.image.activated.v1',
  deleted: 'glimpse.events.image.deleted.v1',
  /** Cache agents stop serving it (consumer: apps/cache-agent). */
  deactivated: 'glimpse.events.image.deactivated.v1',
  /** Its upload was abandoned: the API receiving it stopped heartbeating (it died). */
  killed: 'glimpse.events.image.killed.v1',
} as const;

export interface ImageEvent {
  imageId: string;
  owner: string | null;
  status: ImageStatus;
  size: number | null;
  at: string;
}

export interface ImageEventMap {
  [ImageEvents.created]: ImageEvent;
  [ImageEvents.updated]: ImageEvent;
  [ImageEvents.activated]: ImageEvent;
  [ImageEvents.deleted]: ImageEvent;
  [ImageEvents.deactivated]: ImageEvent;
  [ImageEvents.killed]: ImageEvent;
}
