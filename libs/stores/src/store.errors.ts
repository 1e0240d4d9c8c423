import { type ErrorCode, GlimpseError } from '@glimpse/contracts';

/** Why a store operation failed; each reason has Glance's HTTP answer. */
export type StoreFailure =
  | 'not_found'
  | 'store_full'
  | 'write_denied'
  | 'size_mismatch'
  | 'too_large'
  | 'add_disabled'
  | 'invalid_location'
  /** The image already has data under its name (Glance's Duplicate, 409). */
  | 'duplicate'
  /** A remote URL refused by the import filtering policy (scheme, host, port or address). */
  | 'forbidden_url'
  | 'unavailable';

const CODE_OF: Record<StoreFailure, ErrorCode> = {
  not_found: 'not_found',
  store_full: 'payload_too_large',
  write_denied: 'unavailable',
  size_mismatch: 'bad_request',
  too_large: 'payload_too_large',
  add_disabled: 'gone',
  invalid_location: 'bad_request',
  duplicate: 'conflict',
  forbidden_url: 'bad_request',
  unavailable: 'unavailable',
};

export class StoreError extends GlimpseError {
  constructor(
    readonly failure: StoreFailure,
    message: string,
  ) {
    super(CODE_OF[failure], message);
    this.name = 'StoreError';
  }
}

export function isStoreFailure(error: unknown, failure: StoreFailure): boolean {
  return error instanceof StoreError && error.failure === failure;
}
