import { type ArgumentsHost, Catch, type ExceptionFilter, Logger } from '@nestjs/common';
import { type ErrorPayload, isGlimpseError } from '@glimpse/contracts';
import { type Observable, throwError } from 'rxjs';

/** Turns whatever a bus handler throws into the { code, message } a caller maps to HTTP. */
@Catch()
export class BusExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('BusExceptionFilter');

  catch(error: unknown, host: ArgumentsHost): Observable<never> {
    if (isGlimpseError(error)) return throwError(() => error.toPayload());
    const subject = host.switchToRpc().getContext<{ getSubject?(): string }>().getSubject?.();
    this.logger.error(`unhandled error in ${subject ?? 'handler'}: ${(error as Error)?.stack ?? String(error)}`);
    const payload: ErrorPayload = { code: 'internal', message: 'The server has either erred or is incapable of performing the requested operation.' };
    return throwError(() => payload);
  }
}
