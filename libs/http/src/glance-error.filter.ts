import { type ArgumentsHost, Catch, type ExceptionFilter, Logger, NotFoundException } from '@nestjs/common';
import { GlimpseError } from '@glimpse/contracts';
import type { Request, Response } from 'express';
import { asGlimpseError, renderError } from './glance-error';

/**
 * Every HTTP error leaves through here, with Glance's status and body. When part of a body has
 * already been sent (a download failing midway), the socket is destroyed instead: a client must
 * never take a truncated image for a complete one.
 */
@Catch()
export class GlanceErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger('GlanceErrorFilter');

  /** `allowedMethods` names the methods a known path answers, for 405 instead of 404. */
  constructor(private readonly allowedMethods: (path: string) => string[] = () => []) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const req = http.getRequest<Request>();
    const res = http.getResponse<Response>();
    let error = asGlimpseError(exception);
    if (error.code === 'internal') {
      this.logger.error(`${req.method} ${req.originalUrl}: ${(exception as Error)?.stack ?? String(exception)}`);
    }
    if (res.headersSent) {
      res.destroy();
      return;
    }
    if (exception instanceof NotFoundException) {
      // Nest found no handler: a known path with another method is 405, as Glance answers.
      const allow = this.allowedMethods(req.path);
      if (allow.length > 0) {
        res.setHeader('Allow', allow.join(', '));
        error = new GlimpseError('method_not_allowed', 'The method is not allowed for this resource.');
      }
    }
    const rendered = renderError(error, req.headers.accept);
    res.status(rendered.status).setHeader('Content-Type', rendered.contentType);
    res.end(req.method === 'HEAD' ? undefined : rendered.body);
  }
}
