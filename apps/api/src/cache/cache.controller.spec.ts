import { clearTarget } from './cache.controller';

describe('clearTarget', () => {
  it("is both without the header or with an empty one, cache or queue as named, and 400 for anything else (even 'both')", () => {
    expect(clearTarget(undefined)).toBe('both');
    expect(clearTarget(' ')).toBe('both');
    expect(clearTarget('cache')).toBe('cache');
    expect(clearTarget('queue')).toBe('queue');
    for (const bad of ['both', 'all', 'CACHE']) expect(() => clearTarget(bad)).toThrow(/must be 'cache' or 'queue'/);
  });
});
