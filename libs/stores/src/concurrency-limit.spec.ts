import { ConcurrencyLimit } from './concurrency-limit';

describe('ConcurrencyLimit', () => {
  it('lets `limit` holders in and the rest wait in arrival order', async () => {
    const limit = new ConcurrencyLimit(2);
    const order: number[] = [];
    const first = await limit.acquire();
    const second = await limit.acquire();
    const third = limit.acquire().then((release) => (order.push(3), release));
    const fourth = limit.acquire().then((release) => (order.push(4), release));
    await Promise.resolve();
    expect([limit.inUse, limit.queued, order]).toEqual([2, 2, []]);
    first();
    first(); // a second release of the same slot changes nothing
    (await third)();
    second();
    (await fourth)();
    expect([order, limit.inUse, limit.queued]).toEqual([[3, 4], 0, 0]);
  });
});
