import { randomBytes } from 'node:crypto';
import type { JobFailure, QueuedJob, WorkQueue } from '@glimpse/bus';

type Job = { n: number };

export interface WorkQueueTarget {
  /** A new instance on the same backing store (the same NATS namespace, the same SQLite file). */
  open(): Promise<WorkQueue<Job>>;
  /** How long an unacknowledged job waits before redelivery in this target (JetStream's ack_wait). */
  ackWaitMs: number;
}

const options = { durable: 'suite', concurrency: 1, backoffMs: [50], maxAttempts: 5 };

function deferred<V = void>() {
  let resolve!: (value: V) => void;
  const promise = new Promise<V>((r) => (resolve = r));
  return { promise, resolve };
}

async function until(check: () => boolean | Promise<boolean>, timeoutMs = 10000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The behaviour every WorkQueue implementation shares (JetStream and in-process). */
export function workQueueConformance(name: string, target: () => WorkQueueTarget): void {
  describe(`${name}: the work queue contract`, () => {
    const opened: WorkQueue<Job>[] = [];
    let queue: string;
    const open = async () => {
      const q = await target().open();
      opened.push(q);
      return q;
    };
    beforeEach(() => {
      queue = `t${randomBytes(4).toString('hex')}`;
    });
    afterEach(async () => {
      await Promise.all(opened.splice(0).map((q) => q.close()));
    });

    it('adds a key once, lists, counts, cancels and purges what waits', async () => {
      const q = await open();
      expect(await q.enqueue(queue, 'a', { n: 1 })).toEqual({ added: true });
      expect(await q.enqueue(queue, 'a', { n: 2 })).toEqual({ added: false });
      expect(await q.enqueue(queue, 'b', { n: 3 })).toEqual({ added: true });
      expect(await q.enqueue(queue, 'c/with spaces', { n: 4 })).toEqual({ added: true });
      expect(await q.enqueue(`${queue}.other`, 'a', { n: 5 })).toEqual({ added: true });
      const pending = await q.pending(queue);
      expect(pending.map((j) => [j.key, j.data.n])).toEqual([
        ['a', 1],
        ['b', 3],
        ['c/with spaces', 4],
      ]);
      expect(Number.isNaN(Date.parse(pending[0].enqueuedAt))).toBe(false);
      expect(await q.count(queue)).toBe(3);
      expect(await q.cancel(queue, 'b')).toBe(true);
      expect(await q.cancel(queue, 'b')).toBe(false);
      expect((await q.pending(queue)).map((j) => j.key)).toEqual(['a', 'c/with spaces']);
      expect(await q.purge(queue)).toBe(2);
      expect(await q.count(queue)).toBe(0);
      expect(await q.count(`${queue}.other`)).toBe(1);
      expect(await q.enqueue(queue, 'a', { n: 6 })).toEqual({ added: true });
    });

    it('runs at most `concurrency` handlers at once and acknowledges each job once', async () => {
      const q = await open();
      for (let n = 0; n < 6; n++) await q.enqueue(queue, `k${n}`, { n });
      let running = 0;
      let most = 0;
      const seen: number[] = [];
      await q.consume(
        queue,
        async (job) => {
          running++;
          most = Math.max(most, running);
          await sleep(100);
          seen.push(job.data.n);
          running--;
        },
        { ...options, concurrency: 2 },
      );
      await until(() => seen.length === 6);
      expect(most).toBe(2);
      expect([...seen].sort()).toEqual([0, 1, 2, 3, 4, 5]);
      await until(async () => (await q.count(queue)) === 0);
      await sleep(200);
      expect(seen).toHaveLength(6);
    });

    it('retries a failing job after its backoff, then succeeds', async () => {
      const q = await open();
      await q.enqueue(queue, 'flaky', { n: 1 });
      const attempts: { attempt: number; at: number }[] = [];
      const failures: JobFailure<Job>[] = [];
      const done = deferred();
      await q.consume(
        queue,
        async (job) => {
          attempts.push({ attempt: job.attempt, at: Date.now() });
          if (job.attempt < 3) throw new Error(`store down (${job.attempt})`);
          done.resolve();
        },
        { ...options, backoffMs: [200, 400], onFailure: (f) => failures.push(f) },
      );
      await done.promise;
      expect(attempts.map((a) => a.attempt)).toEqual([1, 2, 3]);
      expect(attempts[1].at - attempts[0].at).toBeGreaterThanOrEqual(190);
      expect(attempts[2].at - attempts[1].at).toBeGreaterThanOrEqual(390);
      expect(failures.map((f) => [f.job.key, f.error.message, f.final])).toEqual([
        ['flaky', 'store down (1)', false],
        ['flaky', 'store down (2)', false],
      ]);
      await until(async () => (await q.count(queue)) === 0);
    });

    it('drops a job after maxAttempts, telling onFailure it was final', async () => {
      const q = await open();
      await q.enqueue(queue, 'doomed', { n: 1 });
      const failures: JobFailure<Job>[] = [];
      let calls = 0;
      await q.consume(
        queue,
        async () => {
          calls++;
          throw new Error('never works');
        },
        { ...options, maxAttempts: 3, backoffMs: [30], onFailure: (f) => failures.push(f) },
      );
      await until(() => failures.length === 3);
      expect(failures.map((f) => [f.job.attempt, f.final])).toEqual([
        [1, false],
        [2, false],
        [3, true],
      ]);
      await until(async () => (await q.count(queue)) === 0);
      await sleep(300);
      expect(calls).toBe(3);
    });

    it('brings a deferred job back after retryInMs without counting a failure', async () => {
      const q = await open();
      await q.enqueue(queue, 'later', { n: 1 });
      const at: number[] = [];
      const attempts: number[] = [];
      const failures: JobFailure<Job>[] = [];
      await q.consume(
        queue,
        async (job) => {
          at.push(Date.now());
          attempts.push(job.attempt);
          if (at.length === 1) return { retryInMs: 300 };
          if (at.length === 2) throw new Error('now a real failure');
          return undefined;
        },
        { ...options, onFailure: (f) => failures.push(f) },
      );
      await until(() => at.length === 3);
      expect(at[1] - at[0]).toBeGreaterThanOrEqual(290);
      expect(attempts).toEqual([1, 1, 2]);
      expect(failures.map((f) => [f.job.attempt, f.final])).toEqual([[1, false]]);
      await until(async () => (await q.count(queue)) === 0);
    });

    it('keeps a job for a consumer that starts after the first one closed', async () => {
      const first = await open();
      const handled: string[] = [];
      const c = await first.consume(queue, async (job) => void handled.push(job.key), options);
      await first.enqueue(queue, 'one', { n: 1 });
      await until(() => handled.length === 1);
      await c.stop();
      await first.enqueue(queue, 'two', { n: 2 });
      await first.close();

      const second = await open();
      const got = deferred<QueuedJob<Job>>();
      await second.consume(queue, async (job) => got.resolve(job), options);
      const job = await got.promise;
      expect([job.key, job.data, job.attempt]).toEqual(['two', { n: 2 }, 1]);
      expect(handled).toEqual(['one']);
    });

    it('does not hand a long-running job to another consumer while its handler runs', async () => {
      const a = await open();
      const b = await open();
      const runMs = target().ackWaitMs * 3;
      const deliveries: string[] = [];
      const finished = deferred();
      const handler = (who: string) => async () => {
        deliveries.push(who);
        await sleep(runMs);
        finished.resolve();
      };
      await a.consume(queue, handler('a'), options);
      await b.consume(queue, handler('b'), options);
      await a.enqueue(queue, 'long', { n: 1 });
      await finished.promise;
      await until(async () => (await a.count(queue)) === 0);
      await sleep(target().ackWaitMs);
      expect(deliveries).toHaveLength(1);
    }, 30000);
  });
}
