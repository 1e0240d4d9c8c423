import { Controller, Get, HttpCode, Param, Put, Req, Res } from '@nestjs/common';
import { type CallerContext, GlimpseError } from '@glimpse/contracts';
import { requestedRange } from '@glimpse/http';
import type { Request, Response } from 'express';
import { pipeline } from 'node:stream/promises';
import { announcedSize } from '../http/announced-size';
import { mediaType } from '../http/json-body';
import { consumeBody } from '../http/request-body';
import { Caller } from '../identity/caller.decorator';
import { ImageDataService } from './image-data.service';

/** PUT and GET /v2/images/{id}/file: the image bytes, streamed both ways. */
@Controller('v2/images/:id/file')
export class ImageDataController {
  constructor(private readonly data: ImageDataService) {}

  @Put()
  @HttpCode(204)
  async upload(@Caller() caller: CallerContext, @Param('id') id: string, @Req() req: Request): Promise<void> {
    if (mediaType(req) !== 'application/octet-stream') {
      throw new GlimpseError('unsupported_media_type', `Content-Type ${mediaType(req) || '(none)'} is not supported: use application/octet-stream`);
    }
    const store = req.headers['x-image-meta-store'];
    const size = announcedSize(req);
    await consumeBody(req, (body) => this.data.upload(caller, id, body, size, Array.isArray(store) ? store[0] : store));
  }

  @Get()
  async download(@Caller() caller: CallerContext, @Param('id') id: string, @Req() req: Request, @Res() res: Response): Promise<void> {
    const download = await this.data.openDownload(caller, id, (size) => requestedRange(req.headers, size));
    if (!download) {
      res.status(204).end();
      return;
    }
    const { image, data, range } = download;
    res.setHeader('Content-Type', 'application/octet-stream');
    if (image.checksum) res.setHeader('Content-MD5', image.checksum);
    if (range) {
      res.status(206);
      res.setHeader('Content-Range', `bytes ${range.start}-${range.end}/${data.size}`);
      res.setHeader('Content-Length', String(range.end - range.start + 1));
    } else {
      res.status(200);
      res.setHeader('Content-Length', String(data.size));
    }
    // A failure midway destroys the socket (pipeline does), so a short body is never a 200.
    await pipeline(data.stream, res).catch(() => res.destroy());
  }
}
