import { Inject, Injectable, type NestMiddleware } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { Stores } from '@glimpse/stores';
import { API_SETTINGS, type ApiSettings } from '../api.settings';
import { versionsDocument } from './versions.document';

const VERSIONED = /^\/v2(\/|$)/;
const UNVERSIONED_ROUTES = new Set(['/versions', '/healthcheck', '/healthcheck/ready', '/metrics']);

/**
 * As Glance's version negotiation: a path outside /v2 (/, /v1/images, /v3 …) is answered with
 * 300 Multiple Choices and the versions document, unless an Accept header asks for v2.
 */
@Injectable()
export class VersionNegotiationMiddleware implements NestMiddleware {
  constructor(
    @Inject(API_SETTINGS) private readonly settings: ApiSettings,
    private readonly stores: Stores,
  ) {}

  use(req: Request, res: Response, next: NextFunction): void {
    const path = req.path;
    if (VERSIONED.test(path) || UNVERSIONED_ROUTES.has(path)) return next();
    const accept = req.headers.accept ?? '';
    const asked = /application\/vnd\.openstack\.images-v(\d+)/.exec(accept);
    if (asked && asked[1] === '2') {
      req.url = `/v2${req.url}`;
      return next();
    }
    res.status(300).json(versionsDocument(baseUrl(req, this.settings), { multiStore: this.stores.multiStore, cache: this.settings.cacheEnabled }));
  }
}

export function baseUrl(req: Request, settings: ApiSettings): string {
  return settings.publicEndpoint ?? `${req.protocol}://${req.headers.host ?? 'localhost'}`;
}
