import { Controller, Get, Inject, Req } from '@nestjs/common';
import type { Request } from 'express';
import { Stores } from '@glimpse/stores';
import { API_SETTINGS, type ApiSettings } from '../api.settings';
import { baseUrl } from './version-negotiation.middleware';
import { versionsDocument } from './versions.document';

/** GET /versions answers 200 (every other unversioned path gets 300 from the negotiation). */
@Controller('versions')
export class VersionsController {
  constructor(
    @Inject(API_SETTINGS) private readonly settings: ApiSettings,
    private readonly stores: Stores,
  ) {}

  @Get()
  versions(@Req() req: Request): { versions: unknown[] } {
    return versionsDocument(baseUrl(req, this.settings), { multiStore: this.stores.multiStore, cache: this.settings.cacheEnabled });
  }
}
