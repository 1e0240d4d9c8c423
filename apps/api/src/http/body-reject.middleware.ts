import { Injectable, type NestMiddleware } from '@nestjs/common';
import { badRequest } from '@glimpse/contracts';
import type { NextFunction, Request, Response } from 'express';

const TAG_PATH = /^\/v2\/images\/[^/]+\/tags\/[^/]+$/;

/** Glance's body_reject: GET, HEAD and DELETE routes and tag PUTs take no body (400). */
@Injectable()
export class BodyRejectMiddleware implements NestMiddleware {
  use(req: Request, _res: Response, next: NextFunction): void {
    const bodyless = ['GET', 'HEAD', 'DELETE'].includes(req.method) || (req.method === 'PUT' && TAG_PATH.test(req.path));
    const length = Number(req.headers['content-length'] ?? 0);
    const chunked = /chunked/i.test(String(req.headers['transfer-encoding'] ?? ''));
    if (bodyless && (length > 0 || chunked)) return next(badRequest('A body is not expected with this request.'));
    next();
  }
}
