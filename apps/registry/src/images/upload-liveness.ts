import { Injectable } from '@nestjs/common';
import type { ImageRecord } from '@glimpse/contracts';
import { DataSource, LessThan } from 'typeorm';
import { WriteSerializer } from '../database/write-serializer';
import { ImageEntity } from './image.entities';
import { ImageReader } from './image-reader';

/**
 * Uploads whose API died. The API touches a saving image while it receives the data; a saving
 * image nobody touched for staleAfterMs becomes killed, by a compare-and-swap on its status and
 * updated_at, so an upload that touched it meanwhile keeps it. Killed, it can take no new upload
 * (that needs queued), which is what makes removing its leftovers safe.
 */
@Injectable()
export class UploadLiveness {
  constructor(
    private readonly db: DataSource,
    private readonly writes: WriteSerializer,
    private readonly reader: ImageReader,
  ) {}

  /** Whether the image is still saving (false once it was killed, deleted or finished). */
  async touch(id: string): Promise<boolean> {
    const changed = await this.writes.transaction((tx) => tx.update(ImageEntity, { id, status: 'saving', deleted: false }, { updatedAt: new Date() }));
    return Boolean(changed.affected);
  }

  /** Kills up to `limit` abandoned uploads, oldest first, and returns the killed images. */
  async killAbandoned(staleAfterMs: number, limit: number): Promise<ImageRecord[]> {
    const stale = new Date(Date.now() - staleAfterMs);
    const abandoned = { status: 'saving', deleted: false, updatedAt: LessThan(stale) };
    const candidates = await this.db.getRepository(ImageEntity).find({ where: abandoned, select: { id: true }, order: { updatedAt: 'ASC' }, take: limit });
    const killed: ImageRecord[] = [];
    for (const { id } of candidates) {
      const changed = await this.writes.transaction((tx) => tx.update(ImageEntity, { id, ...abandoned }, { status: 'killed', updatedAt: new Date() }));
      const image = changed.affected ? await this.reader.byId(id) : null;
      if (image) killed.push(image);
    }
    return killed;
  }
}
