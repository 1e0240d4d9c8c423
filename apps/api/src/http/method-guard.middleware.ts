import { Injectable, type NestMiddleware } from '@nestjs/common';
import { GlimpseError } from '@glimpse/contracts';
import type { NextFunction, Request, Response } from 'express';

const ROUTED = new Set(['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'PATCH']);

/** As Glance's router: a method it never routes (TRACE, PROPFIND…) is 501, not 404 or 405. */
@Injectable()
export class MethodGuardMiddleware implements NestMiddleware {
  use(req: Request, _res: Response, next: NextFunction): void {
    if (!ROUTED.has(req.method)) return next(new GlimpseError('not_implemented', `The method ${req.method} is not implemented.`));
    next();
  }
}
