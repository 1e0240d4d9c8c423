import { Inject, Injectable, type NestMiddleware } from '@nestjs/common';
import type { NextFunction, Response } from 'express';
import { API_SETTINGS, type ApiSettings } from '../api.settings';
import type { IdentifiedRequest } from './caller.decorator';
import { resolveCaller } from './caller';

/** Establishes the caller of every /v2 request (401 errors go through the error filter). */
@Injectable()
export class IdentityMiddleware implements NestMiddleware {
  constructor(@Inject(API_SETTINGS) private readonly settings: ApiSettings) {}

  use(req: IdentifiedRequest, _res: Response, next: NextFunction): void {
    try {
      req.caller = resolveCaller(this.settings.authStrategy, req.headers);
      next();
    } catch (error) {
      next(error);
    }
  }
}
