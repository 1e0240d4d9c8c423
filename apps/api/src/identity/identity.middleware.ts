import { Injectable, type NestMiddleware } from '@nestjs/common';
import { CallerResolver, wwwAuthenticateOf } from '@glimpse/access';
import type { NextFunction, Response } from 'express';
import type { IdentifiedRequest } from './caller.decorator';

/**
 * Establishes the caller of every /v2 request (401 and 503 errors go through the error filter; a
 * Keystone 401 also tells the client where to authenticate, in WWW-Authenticate).
 */
@Injectable()
export class IdentityMiddleware implements NestMiddleware {
  constructor(private readonly callers: CallerResolver) {}

  use(req: IdentifiedRequest, res: Response, next: NextFunction): void {
    this.callers.resolve(req.headers).then(
      (caller) => {
        req.caller = caller;
        next();
      },
      (error: unknown) => {
        const challenge = wwwAuthenticateOf(error);
        if (challenge) res.setHeader('WWW-Authenticate', challenge);
        next(error);
      },
    );
  }
}
