import { TokenCache, type TokenVerdict } from './token-cache';

const MINUTE = 60_000;

describe('TokenCache', () => {
  let now: number;
  const clock = () => now;
  beforeEach(() => {
    now = Date.parse('2026-01-01T00:00:00Z');
  });

  function counting(verdict: () => TokenVerdict<string>) {
    const calls: string[] = [];
    return { calls, validate: (token: string) => () => (calls.push(token), Promise.resolve(verdict())) };
  }

  it('reuses a valid verdict for token_cache_time, then asks again', async () => {
    const cache = new TokenCache<string>(5 * MINUTE, clock);
    const keystone = counting(() => ({ valid: true, identity: 'alice', expiresAt: now + 60 * MINUTE }));
    expect(await cache.verdict('t1', keystone.validate('t1'))).toEqual({ valid: true, identity: 'alice', expiresAt: now + 60 * MINUTE });
    now += 5 * MINUTE - 1;
    await cache.verdict('t1', keystone.validate('t1'));
    expect(keystone.calls).toEqual(['t1']);
    now += 1;
    await cache.verdict('t1', keystone.validate('t1'));
    expect(keystone.calls).toEqual(['t1', 't1']);
  });

  it('never trusts a cached token past its own expiry', async () => {
    const cache = new TokenCache<string>(5 * MINUTE, clock);
    const expiresAt = now + 2 * MINUTE;
    const keystone = counting(() => ({ valid: true, identity: 'alice', expiresAt }));
    expect((await cache.verdict('t1', keystone.validate('t1'))).valid).toBe(true);
    now = expiresAt - 1;
    expect((await cache.verdict('t1', keystone.validate('t1'))).valid).toBe(true);
    now = expiresAt;
    expect(await cache.verdict('t1', keystone.validate('t1'))).toEqual({ valid: false });
    // An expired token needs no second opinion.
    expect(keystone.calls).toEqual(['t1']);
  });

  it('takes a token Keystone calls valid but that has already expired for an invalid one', async () => {
    const cache = new TokenCache<string>(5 * MINUTE, clock);
    const keystone = counting(() => ({ valid: true, identity: 'alice', expiresAt: now - 1 }));
    expect(await cache.verdict('t1', keystone.validate('t1'))).toEqual({ valid: false });
  });

  it('remembers an invalid token for token_cache_time too', async () => {
    const cache = new TokenCache<string>(MINUTE, clock);
    const keystone = counting(() => ({ valid: false }));
    await cache.verdict('bad', keystone.validate('bad'));
    await cache.verdict('bad', keystone.validate('bad'));
    expect(keystone.calls).toEqual(['bad']);
    now += MINUTE;
    await cache.verdict('bad', keystone.validate('bad'));
    expect(keystone.calls).toEqual(['bad', 'bad']);
  });

  it('asks every time with token_cache_time = 0, and still answers the verdict', async () => {
    const cache = new TokenCache<string>(0, clock);
    const keystone = counting(() => ({ valid: true, identity: 'alice', expiresAt: now + MINUTE }));
    expect((await cache.verdict('t1', keystone.validate('t1'))).valid).toBe(true);
    expect((await cache.verdict('t1', keystone.validate('t1'))).valid).toBe(true);
    expect(keystone.calls).toEqual(['t1', 't1']);
    expect(cache.size).toBe(0);
  });

  it('shares one validation between overlapping requests for the same token', async () => {
    const cache = new TokenCache<string>(MINUTE, clock);
    let release!: (v: TokenVerdict<string>) => void;
    let calls = 0;
    const validate = () => {
      calls++;
      return new Promise<TokenVerdict<string>>((resolve) => (release = resolve));
    };
    const both = Promise.all([cache.verdict('t1', validate), cache.verdict('t1', validate)]);
    release({ valid: true, identity: 'alice', expiresAt: now + MINUTE });
    expect((await both).map((v) => v.valid)).toEqual([true, true]);
    expect(calls).toBe(1);
  });

  it('caches nothing when Keystone could not answer, so the next request asks again', async () => {
    const cache = new TokenCache<string>(MINUTE, clock);
    await expect(cache.verdict('t1', () => Promise.reject(new Error('down')))).rejects.toThrow('down');
    const keystone = counting(() => ({ valid: true, identity: 'alice', expiresAt: now + MINUTE }));
    expect((await cache.verdict('t1', keystone.validate('t1'))).valid).toBe(true);
    expect(keystone.calls).toEqual(['t1']);
  });

  it('keeps at most maxEntries tokens, dropping the oldest', async () => {
    const cache = new TokenCache<string>(MINUTE, clock, 2);
    const keystone = counting(() => ({ valid: true, identity: 'x', expiresAt: now + MINUTE }));
    for (const token of ['a', 'b', 'c']) await cache.verdict(token, keystone.validate(token));
    expect(cache.size).toBe(2);
    await cache.verdict('c', keystone.validate('c'));
    await cache.verdict('a', keystone.validate('a'));
    expect(keystone.calls).toEqual(['a', 'b', 'c', 'a']);
  });
});
