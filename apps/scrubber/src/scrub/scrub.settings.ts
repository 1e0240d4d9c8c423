import type { GlimpseConfig } from '@glimpse/config';

export const SCRUB_SETTINGS = Symbol('SCRUB_SETTINGS');

/** Delays before the next attempt of a queued job whose store failed (the last one repeats). */
export const SCRUB_RETRY_BACKOFF_MS = [1000, 5000, 30000, 120000, 600000];

export interface ScrubSettings {
  scrubTimeSeconds: number;
  poolSize: number;
  wakeupSeconds: number;
  /** A claim older than this was left by a scrubber that died; another may take the image over. */
  claimTimeoutMs: number;
  maxAttempts: number;
  backoffMs: number[];
  /** Loop every wakeup_time and consume the scrub queue (the app); a one-shot pass otherwise (the CLI). */
  daemon: boolean;
}

export function scrubSettings(config: GlimpseConfig, daemon: boolean): ScrubSettings {
  return {
    scrubTimeSeconds: config.DEFAULT.scrub_time,
    poolSize: config.DEFAULT.scrub_pool_size,
    wakeupSeconds: config.DEFAULT.wakeup_time,
    claimTimeoutMs: Math.round(config.scrubber.scrub_claim_timeout * 1000),
    maxAttempts: config.scrubber.scrub_max_attempts,
    backoffMs: SCRUB_RETRY_BACKOFF_MS,
    daemon,
  };
}
