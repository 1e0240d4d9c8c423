import { type BusClient, InProcessWorkQueue } from '@glimpse/bus';
import { SCRUB_QUEUE, type ScrubClaim, ScrubEvents, type ScrubJob, ScrubSubjects } from '@glimpse/contracts';
import type { Stores } from '@glimpse/stores';
import type { ScrubSettings } from './scrub.settings';
import { Scrubber } from './scrubber.service';

/** A registry that answers the scrubber's subjects from a script, and a store that may fail. */
class Fixture {
  claims: ScrubClaim[] = [];
  done: { imageId: string; locationIds: number[]; releasedIds?: number[] }[] = [];
  events: { subject: string; imageId: string; error?: string }[] = [];
  discardFailures = 0;
  discarded: string[] = [];
  readonly queue = new InProcessWorkQueue<ScrubJob>();

  readonly bus = {
    request: async (subject: string, data: { imageId: string; locationIds: number[]; releasedIds?: number[] }) => {
      if (subject === ScrubSubjects.due) return { images: [] };
      if (subject === ScrubSubjects.claim) return this.claims.shift() ?? { outcome: 'gone' };
      if (subject === ScrubSubjects.done) {
        this.done.push(data);
        return { imageId: data.imageId, status: data.releasedIds?.length ? 'pending_delete' : 'deleted' };
      }
      throw new Error(`unexpected ${subject}`);
    },
    /** The registry has answered deleted: it publishes the scrubbed event itself. */
    scrubbed: () => this.done.some((d) => d.locationIds.length > 0 && !d.releasedIds?.length),
    emit: (subject: string, event: { imageId: string; error?: string }) => void this.events.push({ subject, ...event }),
  };

  readonly stores = {
    discard: async (url: string) => {
      if (this.discardFailures > 0) {
        this.discardFailures--;
        throw new Error('store unavailable');
      }
      this.discarded.push(url);
    },
  };

  scrubber(): Scrubber {
    const settings: ScrubSettings = {
      scrubTimeSeconds: 0,
      poolSize: 2,
      wakeupSeconds: 3600,
      claimTimeoutMs: 1000,
      maxAttempts: 5,
      backoffMs: [20],
      daemon: true,
    };
    return new Scrubber(this.bus as unknown as BusClient, this.stores as unknown as Stores, settings, async () => this.queue);
  }
}

async function until(check: () => boolean | Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('not in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('Scrubber: queued jobs', () => {
  const location = { id: 7, url: 'file:///images/a' };
  let fx: Fixture;
  let scrubber: Scrubber;

  beforeEach(async () => {
    fx = new Fixture();
    scrubber = fx.scrubber();
    await scrubber.onApplicationBootstrap();
  });
  afterEach(() => scrubber.onApplicationShutdown());

  it('defers a job that is not due, then scrubs it once, and the backlog empties', async () => {
    fx.claims.push({ outcome: 'not_due', dueInMs: 50 }, { outcome: 'claimed', locations: [location] });
    const started = Date.now();
    await fx.queue.enqueue(SCRUB_QUEUE, 'a', { imageId: 'a', deletedAt: new Date().toISOString() });
    await until(fx.bus.scrubbed);
    expect(Date.now() - started).toBeGreaterThanOrEqual(45);
    expect(fx.discarded).toEqual([location.url]);
    expect(fx.done).toEqual([{ imageId: 'a', locationIds: [7], releasedIds: [] }]);
    await until(() => fx.claims.length === 0);
    expect((await scrubber.status()).pending).toBe(0);
  });

  it('retries a failing store, hands the location back each time, and reports the failures', async () => {
    fx.discardFailures = 2;
    fx.claims.push(...Array.from({ length: 3 }, () => ({ outcome: 'claimed' as const, locations: [location] })));
    await fx.queue.enqueue(SCRUB_QUEUE, 'a', { imageId: 'a', deletedAt: new Date().toISOString() });
    await until(fx.bus.scrubbed);
    expect(fx.events.map((e) => e.subject)).toEqual([ScrubEvents.failed, ScrubEvents.failed]);
    expect(fx.done.map((d) => [d.locationIds, d.releasedIds])).toEqual([
      [[], [7]],
      [[], [7]],
      [[7], []],
    ]);
    const status = await scrubber.status();
    expect(status).toMatchObject({ scrubbedTotal: 1, failedTotal: 2, pending: 0 });
    expect(status.failures.map((f) => [f.imageId, f.error, f.attempt, f.final])).toEqual([
      ['a', 'store unavailable', 1, false],
      ['a', 'store unavailable', 2, false],
    ]);
  });

  it('ends a job whose image is restored or gone without touching the store', async () => {
    fx.claims.push({ outcome: 'gone' });
    await fx.queue.enqueue(SCRUB_QUEUE, 'b', { imageId: 'b', deletedAt: new Date().toISOString() });
    await until(() => fx.claims.length === 0);
    await until(async () => (await fx.queue.count(SCRUB_QUEUE)) === 0);
    expect(fx.discarded).toEqual([]);
    expect(fx.events).toEqual([]);
  });
});
