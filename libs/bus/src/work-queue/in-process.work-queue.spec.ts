import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InProcessWorkQueue, sharedInProcessWorkQueue } from './in-process.work-queue';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'glimpse-wq-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('in-process work queue', () => {
  const options = { durable: 'spec', concurrency: 1, backoffMs: [10], maxAttempts: 3 };

  it('shares one queue per file in a process, closed when its last user closes it', async () => {
    const file = join(dir, 'shared.sqlite');
    const registry = sharedInProcessWorkQueue<{ n: number }>(file);
    const scrubber = sharedInProcessWorkQueue<{ n: number }>(file);
    await registry.enqueue('scrub', 'a', { n: 1 });
    expect(await scrubber.count('scrub')).toBe(1);
    await registry.close();
    expect(await scrubber.cancel('scrub', 'a')).toBe(true);
    await scrubber.close();
    const reopened = sharedInProcessWorkQueue<{ n: number }>(file);
    expect(await reopened.count('scrub')).toBe(0);
    await reopened.close();
  });

  it('memory-only: runs jobs and writes nothing to disk', async () => {
    const before = readdirSync(dir);
    const queue = new InProcessWorkQueue<{ n: number }>();
    const seen: number[] = [];
    await queue.enqueue('scrub', 'a', { n: 1 });
    await queue.consume('scrub', async (job) => void seen.push(job.data.n), options);
    await queue.enqueue('scrub', 'b', { n: 2 });
    await new Promise((r) => setTimeout(r, 50));
    expect(seen).toEqual([1, 2]);
    expect(await queue.count('scrub')).toBe(0);
    await queue.close();
    expect(readdirSync(dir)).toEqual(before);
  });

  it('a job running when the process died waits again in the next one, its attempts and backoff kept', async () => {
    const file = join(dir, 'crash.sqlite');
    const crashed = new InProcessWorkQueue<{ n: number }>(file);
    await crashed.enqueue('scrub', 'img-1', { n: 1 });
    await crashed.enqueue('scrub', 'img-2', { n: 2 });
    let failedOnce = false;
    const hang = new Promise<void>(() => undefined);
    await crashed.consume(
      'scrub',
      async (job) => {
        if (job.key === 'img-1') return hang; // still running when the process "dies"
        failedOnce = true;
        throw new Error('store down');
      },
      { ...options, concurrency: 2, backoffMs: [60000] },
    );
    await new Promise((r) => setTimeout(r, 50));
    expect(failedOnce).toBe(true);
    // No close(): a new process opens the same file.
    const next = new InProcessWorkQueue<{ n: number }>(file);
    const pending = await next.pending('scrub');
    expect(pending.map((j) => [j.key, j.attempt])).toEqual([
      ['img-1', 1],
      ['img-2', 1],
    ]);
    const seen: [string, number][] = [];
    await next.consume('scrub', async (job) => void seen.push([job.key, job.attempt]), options);
    await new Promise((r) => setTimeout(r, 50));
    expect(seen).toEqual([['img-1', 2]]); // img-2 is still in its 60 s backoff
    expect(await next.count('scrub')).toBe(1);
    await next.close();
  });

  it('a cancelled running job is not put back when its handler fails', async () => {
    const queue = new InProcessWorkQueue<{ n: number }>();
    let release!: () => void;
    const started = new Promise<void>((resolve) => {
      void queue.consume(
        'scrub',
        () =>
          new Promise<void>((_, reject) => {
            resolve();
            release = () => reject(new Error('late failure'));
          }),
        options,
      );
    });
    await queue.enqueue('scrub', 'x', { n: 1 });
    await started;
    expect(await queue.cancel('scrub', 'x')).toBe(true);
    release();
    await new Promise((r) => setTimeout(r, 30));
    expect(await queue.count('scrub')).toBe(0);
    await queue.close();
  });

  it('refuses bad queue names and options', async () => {
    const queue = new InProcessWorkQueue<{ n: number }>();
    await expect(queue.enqueue('has space', 'k', { n: 1 })).rejects.toThrow(/must be dot-separated words/);
    await expect(queue.consume('scrub', async () => undefined, { ...options, concurrency: 0 })).rejects.toThrow(/concurrency/);
    await queue.close();
  });
});
