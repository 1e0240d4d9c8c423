import { createHash } from 'node:crypto';

/** What Keystone said about a token: who it is, or that it is not valid. */
export type TokenVerdict<T> = { valid: true; identity: T; expiresAt: number } | { valid: false };

interface Entry<T> {
  verdict: TokenVerdict<T>;
  /** Epoch milliseconds after which Keystone is asked again. */
  until: number;
}

/** Tokens remembered at once; the oldest are dropped first beyond this. */
export const DEFAULT_TOKEN_CACHE_ENTRIES = 10_000;

/**
 * keystonemiddleware's token cache: a verdict is reused for token_cache_time, a valid token
 * never past its own expiry, and validations of one token that overlap share one request to
 * Keystone. Tokens are kept as SHA-256 digests, never in the clear.
 */
export class TokenCache<T> {
  private readonly entries = new Map<string, Entry<T>>();
  private readonly inFlight = new Map<string, Promise<TokenVerdict<T>>>();

  constructor(
    private readonly cacheTimeMs: number,
    private readonly now: () => number = Date.now,
    private readonly maxEntries = DEFAULT_TOKEN_CACHE_ENTRIES,
  ) {}

  /** The verdict on `token`: from the cache while it holds, else from `validate` (then cached). */
  async verdict(token: string, validate: () => Promise<TokenVerdict<T>>): Promise<TokenVerdict<T>> {
    const key = createHash('sha256').update(token).digest('hex');
    const cached = this.lookup(key);
    if (cached) return cached;
    let pending = this.inFlight.get(key);
    if (!pending) {
      pending = validate().then(
        (answer) => {
          this.inFlight.delete(key);
          const verdict: TokenVerdict<T> = answer.valid && answer.expiresAt <= this.now() ? { valid: false } : answer;
          this.store(key, verdict);
          return verdict;
        },
        (error: unknown) => {
          this.inFlight.delete(key);
          throw error;
        },
      );
      this.inFlight.set(key, pending);
    }
    return pending;
  }

  get size(): number {
    return this.entries.size;
  }

  private lookup(key: string): TokenVerdict<T> | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    const now = this.now();
    if (entry.verdict.valid && entry.verdict.expiresAt <= now) return { valid: false };
    if (entry.until <= now) {
      this.entries.delete(key);
      return undefined;
    }
    return entry.verdict;
  }

  private store(key: string, verdict: TokenVerdict<T>): void {
    if (this.cacheTimeMs <= 0) return;
    const now = this.now();
    const until = verdict.valid ? Math.min(now + this.cacheTimeMs, verdict.expiresAt) : now + this.cacheTimeMs;
    this.entries.delete(key);
    this.entries.set(key, { verdict, until });
    while (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next().value as string;
      this.entries.delete(oldest);
    }
  }
}
