import { Controller, Get, Inject, Param, Req, Res } from '@nestjs/common';
import { wwwAuthenticateOf } from '@glimpse/access';
import type { ImageRecord } from '@glimpse/contracts';
import { requestedRange } from '@glimpse/http';
import { recordSpanFacts } from '@glimpse/telemetry';
import type { Request, Response } from 'express';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { CacheLayout } from '../cache/cache-layout';
import { CACHE_SETTINGS, type CacheSettings } from '../cache/cache.settings';
import { ImageCache } from '../cache/image-cache';
import { ImageOrigin } from './image-origin';
import { DownloadAccess } from './download-access';
import { sendFileRange, sendGrowingFile } from './zero-copy';

/**
 * GET and HEAD /v2/images/{id}/file on the node's own port: the API's status codes, headers and
 * bytes. A hit comes from disk (with Range); a miss is streamed from the growing cache file,
 * which one fill per image writes; a Range on a miss is answered from the store while the fill
 * goes on in the background.
 */
@Controller('v2/images/:id/file')
export class ImageFileController {
  constructor(
    private readonly access: DownloadAccess,
    private readonly cache: ImageCache,
    private readonly origin: ImageOrigin,
    @Inject(CACHE_SETTINGS) private readonly settings: CacheSettings,
  ) {}

  /** Express answers HEAD with the GET route: the method decides whether there is a body. */
  @Get()
  async download(@Param('id') id: string, @Req() req: Request, @Res() res: Response): Promise<void> {
    await this.serve(id, req, res, req.method !== 'HEAD');
  }

  private async serve(id: string, req: Request, res: Response, withBody: boolean): Promise<void> {
    const image = await this.access.authorize(req.headers, id).catch((error: unknown) => {
      // A Keystone 401 tells the client where to authenticate, as the API does.
      const challenge = wwwAuthenticateOf(error);
      if (challenge) res.setHeader('WWW-Authenticate', challenge);
      throw error;
    });
    if (!image.locations.some((l) => l.status === 'active')) {
      // No data yet (queued): the API answers 204 too.
      res.status(204).end();
      return;
    }
    recordSpanFacts({ imageId: id, size: image.size, node: this.settings.node });
    if (image.size === null || !CacheLayout.isImageId(id)) {
      recordSpanFacts({ cache: 'origin' });
      await this.sendFromOrigin(image, req, res, withBody);
      return;
    }
    const range = image.size > 0 ? requestedRange(req.headers, image.size) : null;
    const hit = await this.cache.lookup(id);
    if (hit) {
      recordSpanFacts({ cache: 'hit' });
      this.writeHead(res, image, range, image.size);
      const span = range ?? { start: 0, end: image.size - 1 };
      if (withBody && (await sendFileRange(res, this.cache.layout.cached(id), span.start, span.end))) {
        this.cache.recordHit(hit, span.end - span.start + 1);
        return;
      }
      await this.send(res, withBody ? this.cache.openHit(hit, range ?? undefined) : null);
      return;
    }
    if (!withBody) {
      // HEAD: the registry knows everything the headers say.
      this.writeHead(res, image, range, image.size);
      res.end();
      return;
    }
    this.cache.stats.misses++;
    recordSpanFacts({ cache: range ? 'origin' : 'fill' });
    if (range) {
      this.origin.warm(image);
      await this.sendFromOrigin(image, req, res, true);
      return;
    }
    const fill = this.cache.fill(image);
    await fill.started;
    this.writeHead(res, image, null, image.size);
    if (await sendGrowingFile(res, () => fill.openFile(), 0, image.size - 1, (position) => fill.available(position))) return;
    await this.send(res, fill.reader());
  }

  private async sendFromOrigin(image: ImageRecord, req: Request, res: Response, withBody: boolean): Promise<void> {
    const { data, range } = await this.origin.open(image, req.headers);
    this.writeHead(res, image, range, data.size);
    if (!withBody) data.stream.destroy();
    await this.send(res, withBody ? data.stream : null);
  }

  private writeHead(res: Response, image: ImageRecord, range: { start: number; end: number } | null, size: number): void {
    res.setHeader('Content-Type', 'application/octet-stream');
    if (image.checksum) res.setHeader('Content-MD5', image.checksum);
    if (range) {
      res.status(206);
      res.setHeader('Content-Range', `bytes ${range.start}-${range.end}/${size}`);
      res.setHeader('Content-Length', String(range.end - range.start + 1));
    } else {
      res.status(200);
      res.setHeader('Content-Length', String(size));
    }
  }

  /** A failure midway destroys the socket, so a short body is never taken for a whole one. */
  private async send(res: Response, body: Readable | null): Promise<void> {
    if (!body) {
      res.end();
      return;
    }
    await pipeline(body, res).catch(() => res.destroy());
  }
}
