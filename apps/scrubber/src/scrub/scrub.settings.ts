import type { GlimpseConfig } from '@glimpse/config';

export const SCRUB_SETTINGS = Symbol('SCRUB_SETTINGS');

export interface ScrubSettings {
  scrubTimeSeconds: number;
  poolSize: number;
  wakeupSeconds: number;
  /** Loop every wakeup_time (the app); a one-shot pass otherwise (the CLI). */
  daemon: boolean;
}

export function scrubSettings(config: GlimpseConfig, daemon: boolean): ScrubSettings {
  return {
    scrubTimeSeconds: config.DEFAULT.scrub_time,
    poolSize: config.DEFAULT.scrub_pool_size,
    wakeupSeconds: config.DEFAULT.wakeup_time,
    daemon,
  };
}
