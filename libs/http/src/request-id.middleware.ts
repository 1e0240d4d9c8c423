import { randomUUID } from 'node:crypto';
import { Injectable, type NestMiddleware } from '@nestjs/common';
import { withRequestId } from '@glimpse/telemetry';
import type { NextFunction, Request, Response } from 'express';

const MAX_REQUEST_ID_LENGTH = 64;
const ACCEPTABLE = /^[A-Za-z0-9._:-]+$/;

/**
 * x-openstack-request-id on every response. A client's own id is reused (prefixed with req- as
 * Glance does) when it is short and plain; otherwise a new one is made.
 */
@Injectable()
export class RequestIdMiddleware implements NestMiddleware {
  use(req: Request, res: Response, next: NextFunction): void {
    const supplied = req.headers['x-openstack-request-id'];
    const given = typeof supplied === 'string' ? supplied.trim() : '';
    const prefixed = given.startsWith('req-') ? given : `req-${given}`;
    const id =
      given !== '' && prefixed.length <= MAX_REQUEST_ID_LENGTH && ACCEPTABLE.test(given) ? prefixed : `req-${randomUUID()}`;
    res.setHeader('x-openstack-request-id', id);
    // Every log line written while this request is served carries its id.
    withRequestId(id, next);
  }
}
