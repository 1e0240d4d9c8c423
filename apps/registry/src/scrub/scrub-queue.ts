import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { BusClient, type WorkQueue } from '@glimpse/bus';
import { SCRUB_QUEUE, type ScrubEvent, ScrubEvents, type ScrubJob } from '@glimpse/contracts';

export const SCRUB_WORK_QUEUE = Symbol('SCRUB_WORK_QUEUE');

/**
 * The producer side of the scrub queue: a job per image that became pending_delete, put on the
 * queue after the commit, and cancelled by restore. A job that cannot be sent is only late: the
 * scrubber's scan of the registry finds the image anyway.
 */
@Injectable()
export class ScrubQueue implements OnApplicationShutdown {
  private readonly logger = new Logger('ScrubQueue');
  private queue: Promise<WorkQueue<ScrubJob>> | null = null;

  constructor(
    @Inject(SCRUB_WORK_QUEUE) private readonly open: () => Promise<WorkQueue<ScrubJob>>,
    private readonly bus: BusClient,
  ) {}

  async enqueue(imageId: string, deletedAt: string): Promise<void> {
    try {
      const { added } = await (await this.connected()).enqueue(SCRUB_QUEUE, imageId, { imageId, deletedAt });
      if (added) this.bus.emit<ScrubEvent>(ScrubEvents.queued, { imageId, at: new Date().toISOString() });
    } catch (error) {
      this.logger.warn(`image ${imageId}: scrub job not queued (the scan will find it): ${(error as Error).message}`);
    }
  }

  async cancel(imageId: string): Promise<void> {
    try {
      await (await this.connected()).cancel(SCRUB_QUEUE, imageId);
    } catch (error) {
      // A job left behind finds the image active and ends there.
      this.logger.warn(`image ${imageId}: scrub job not cancelled: ${(error as Error).message}`);
    }
  }

  async onApplicationShutdown(): Promise<void> {
    const queue = this.queue;
    this.queue = null;
    if (queue) await (await queue.catch(() => null))?.close();
  }

  /** Opened on first use, so a registry without delayed_delete never connects. */
  private connected(): Promise<WorkQueue<ScrubJob>> {
    if (!this.queue) {
      this.queue = this.open();
      this.queue.catch(() => (this.queue = null));
    }
    return this.queue;
  }
}
