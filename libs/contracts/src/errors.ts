/**
 * Every failure that crosses a process boundary or reaches an HTTP client carries one of
 * these codes. The HTTP status for each lives in apps/api (one table, checked by the compiler).
 */
export const ERROR_CODES = [
  'bad_request',
  'unauthorized',
  'forbidden',
  'not_found',
  'method_not_allowed',
  'conflict',
  'gone',
  'payload_too_large',
  'unsupported_media_type',
  'range_not_satisfiable',
  'request_header_too_large',
  'not_implemented',
  'unavailable',
  'internal',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

/** The wire form of an error: what a registry reply carries instead of a value. */
export interface ErrorPayload {
  code: ErrorCode;
  message: string;
}

export class GlimpseError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'GlimpseError';
  }

  toPayload(): ErrorPayload {
    return { code: this.code, message: this.message };
  }

  static fromPayload(payload: ErrorPayload): GlimpseError {
    return new GlimpseError(payload.code, payload.message);
  }
}

export function isErrorPayload(value: unknown): value is ErrorPayload {
  if (typeof value !== 'object' || value === null) return false;
  const candidate = value as Record<string, unknown>;
  return (
    typeof candidate['message'] === 'string' &&
    (ERROR_CODES as readonly unknown[]).includes(candidate['code'])
  );
}

/** Duck-typed so that errors from another bundle's copy of this class are recognised. */
export function isGlimpseError(value: unknown): value is GlimpseError {
  return value instanceof Error && isErrorPayload(value);
}

export const badRequest = (message: string) => new GlimpseError('bad_request', message);
export const forbidden = (message: string) => new GlimpseError('forbidden', message);
export const notFound = (message: string) => new GlimpseError('not_found', message);
export const conflict = (message: string) => new GlimpseError('conflict', message);
