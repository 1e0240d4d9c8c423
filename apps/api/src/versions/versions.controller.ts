import { Controller, Get, Inject, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import { API_SETTINGS, type ApiSettings } from '../api.settings';

/** The versions Glance 25 lists without a cache directory or multi-store, in its order. */
const VERSIONS: [string, 'CURRENT' | 'SUPPORTED'][] = [
  ['2.15', 'SUPPORTED'],
  ['2.9', 'SUPPORTED'],
  ['2.17', 'CURRENT'],
  ['2.7', 'SUPPORTED'],
  ['2.6', 'SUPPORTED'],
  ['2.5', 'SUPPORTED'],
  ['2.4', 'SUPPORTED'],
  ['2.3', 'SUPPORTED'],
  ['2.2', 'SUPPORTED'],
  ['2.1', 'SUPPORTED'],
  ['2.0', 'SUPPORTED'],
];

/** GET /versions answers 200; GET / (and any unversioned path Glance negotiates) 300. */
@Controller()
export class VersionsController {
  constructor(@Inject(API_SETTINGS) private readonly settings: ApiSettings) {}

  @Get('versions')
  versions(@Req() req: Request, @Res() res: Response): void {
    res.status(200).json(this.document(req));
  }

  @Get()
  root(@Req() req: Request, @Res() res: Response): void {
    res.status(300).json(this.document(req));
  }

  private document(req: Request): { versions: unknown[] } {
    const base = (this.settings.publicEndpoint ?? `${req.protocol}://${req.headers.host ?? 'localhost'}`).replace(/\/+$/, '');
    return {
      versions: VERSIONS.map(([id, status]) => ({
        id: `v${id}`,
        status,
        links: [{ rel: 'self', href: `${base}/v2/` }],
      })),
    };
  }
}
