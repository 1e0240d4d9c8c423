import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { BusClient } from '@glimpse/bus';
import { type DueImage, type ScrubEvent, ScrubEvents, type ScrubRequestMap, ScrubSubjects } from '@glimpse/contracts';
import { Stores } from '@glimpse/stores';
import { SCRUB_SETTINGS, type ScrubSettings } from './scrub.settings';

const BATCH = 1000;

export interface PassResult {
  scrubbed: number;
  failed: number;
}

type Req<S extends keyof ScrubRequestMap> = ScrubRequestMap[S][0];
type Rep<S extends keyof ScrubRequestMap> = ScrubRequestMap[S][1];

/**
 * Deletes the data of pending_delete images once scrub_time has passed. Each pass asks the
 * registry what is due (so a lost message only delays work), deletes up to scrub_pool_size
 * images at a time, and records what is gone; a location already missing counts as deleted and
 * a failed one stays pending_delete for the next pass. The daemon is a timer, not a recursion.
 */
@Injectable()
export class Scrubber implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('Scrubber');
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;

  constructor(
    private readonly bus: BusClient,
    private readonly stores: Stores,
    @Inject(SCRUB_SETTINGS) private readonly settings: ScrubSettings,
  ) {}

  onApplicationBootstrap(): void {
    if (this.settings.daemon) this.schedule(0);
  }

  onApplicationShutdown(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
  }

  async scrubOnce(): Promise<PassResult> {
    const result: PassResult = { scrubbed: 0, failed: 0 };
    const { images } = await this.request<typeof ScrubSubjects.due>(ScrubSubjects.due, {
      scrubTimeSeconds: this.settings.scrubTimeSeconds,
      limit: BATCH,
    });
    const queue = [...images];
    const worker = async () => {
      for (let image = queue.shift(); image; image = queue.shift()) {
        if (await this.scrubImage(image)) result.scrubbed++;
        else result.failed++;
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.settings.poolSize, queue.length) }, worker));
    return result;
  }

  async restore(imageId: string): Promise<void> {
    await this.request<typeof ScrubSubjects.restore>(ScrubSubjects.restore, { imageId });
    this.publish(ScrubEvents.restored, { imageId, at: new Date().toISOString() });
  }

  private async scrubImage(image: DueImage): Promise<boolean> {
    const gone: number[] = [];
    let error: string | undefined;
    for (const location of image.locations) {
      try {
        await this.stores.discard(location.url);
        gone.push(location.id);
      } catch (failure) {
        error = (failure as Error).message;
      }
    }
    const { status } = await this.request<typeof ScrubSubjects.done>(ScrubSubjects.done, { imageId: image.imageId, locationIds: gone });
    const at = new Date().toISOString();
    if (status === 'deleted') {
      this.publish(ScrubEvents.scrubbed, { imageId: image.imageId, at });
      return true;
    }
    this.logger.warn(`image ${image.imageId}: data not deleted yet (${error ?? 'locations remain'}); retried next pass`);
    this.publish(ScrubEvents.failed, { imageId: image.imageId, at, error });
    return false;
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.scrubOnce()
        .then(
          (r) => (r.scrubbed || r.failed) && this.logger.log(`pass: ${r.scrubbed} scrubbed, ${r.failed} failed`),
          (error: Error) => this.logger.error(`pass failed: ${error.message}`),
        )
        .finally(() => this.schedule(this.settings.wakeupSeconds * 1000));
    }, delayMs);
    this.timer.unref();
  }

  private request<S extends keyof ScrubRequestMap & string>(subject: S, data: Req<S>): Promise<Rep<S>> {
    return this.bus.request<Req<S>, Rep<S>>(subject, data);
  }

  private publish(subject: string, event: ScrubEvent): void {
    this.bus.emit<ScrubEvent>(subject, event);
  }
}
