import { Injectable } from '@nestjs/common';
import type { ImageRecord } from '@glimpse/contracts';
import { DataSource, type FindOptionsWhere, In, IsNull, LessThan } from 'typeorm';
import { WriteSerializer } from '../database/write-serializer';
import { ImageEntity } from './image.entities';
import { ImageReader } from './image-reader';

export interface ReapedUploads {
  /** saving images, now killed. */
  killed: ImageRecord[];
  /** uploading images whose stage never finished (no size yet), back to queued. */
  unstaged: ImageRecord[];
}

/**
 * Uploads whose API died. The API touches a saving image while it receives its data, and an
 * uploading one while it stages it; one nobody touched for staleAfterMs is abandoned, found by a
 * compare-and-swap on its status and updated_at, so an upload that touched it meanwhile keeps
 * it. A saving image becomes killed: it can take no new upload (that needs queued), which is what
 * makes removing its leftovers safe. An image whose stage broke off goes back to queued, as a
 * failed stage does (a staged image waiting for its import has a size and is left alone).
 */
@Injectable()
export class UploadLiveness {
  constructor(
    private readonly db: DataSource,
    private readonly writes: WriteSerializer,
    private readonly reader: ImageReader,
  ) {}

  /** Whether the image is still saving or uploading (false once it was killed, deleted or finished). */
  async touch(id: string): Promise<boolean> {
    const live = { id, status: In(['saving', 'uploading']), deleted: false };
    const changed = await this.writes.transaction((tx) => tx.update(ImageEntity, live, { updatedAt: new Date() }));
    return Boolean(changed.affected);
  }

  /** Up to `limit` abandoned uploads of each kind, oldest first. */
  async reap(staleAfterMs: number, limit: number): Promise<ReapedUploads> {
    const stale = LessThan(new Date(Date.now() - staleAfterMs));
    return {
      killed: await this.moveAll({ status: 'saving', deleted: false, updatedAt: stale }, 'killed', limit),
      unstaged: await this.moveAll({ status: 'uploading', size: IsNull(), deleted: false, updatedAt: stale }, 'queued', limit),
    };
  }

  private async moveAll(abandoned: FindOptionsWhere<ImageEntity>, status: string, limit: number): Promise<ImageRecord[]> {
    const candidates = await this.db.getRepository(ImageEntity).find({ where: abandoned, select: { id: true }, order: { updatedAt: 'ASC' }, take: limit });
    const moved: ImageRecord[] = [];
    for (const { id } of candidates) {
      const changed = await this.writes.transaction((tx) => tx.update(ImageEntity, { ...abandoned, id }, { status, updatedAt: new Date() }));
      const image = changed.affected ? await this.reader.byId(id) : null;
      if (image) moved.push(image);
    }
    return moved;
  }
}
