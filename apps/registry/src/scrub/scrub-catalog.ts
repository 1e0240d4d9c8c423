import { Injectable } from '@nestjs/common';
import { type DueImage, type ScrubClaim, conflict, notFound } from '@glimpse/contracts';
import { DataSource, In, LessThanOrEqual } from 'typeorm';
import { WriteSerializer } from '../database/write-serializer';
import { ImageEntity, ImageLocationEntity } from '../images/image.entities';

/** A location a scrubber has claimed; its data may be partly gone, so restore refuses it. */
export const SCRUBBING = 'scrubbing';

/**
 * The registry's side of delayed delete: what is due, the claim, what is done, and restore.
 * Claim, done and restore each start by writing the image row, so on MySQL they queue behind
 * each other's row lock and each sees what the other committed.
 */
@Injectable()
export class ScrubCatalog {
  constructor(
    private readonly db: DataSource,
    private readonly writes: WriteSerializer,
  ) {}

  async due(scrubTimeSeconds: number, limit: number): Promise<DueImage[]> {
    const before = new Date(Date.now() - scrubTimeSeconds * 1000);
    const images = await this.db.getRepository(ImageEntity).find({
      where: { status: 'pending_delete', deletedAt: LessThanOrEqual(before) },
      order: { deletedAt: 'ASC' },
      take: limit,
    });
    if (images.length === 0) return [];
    const locations = await this.db
      .getRepository(ImageLocationEntity)
      .findBy({ imageId: In(images.map((i) => i.id)), status: 'pending_delete' });
    return images.map((image) => ({
      imageId: image.id,
      locations: locations.filter((l) => l.imageId === image.id).map((l) => ({ id: l.id, url: l.value })),
    }));
  }

  /**
   * Gives a due image's data to one scrubber: its pending_delete locations (and any claim older
   * than claimTimeoutMs, left by a scrubber that died) become scrubbing, in one compare-and-swap.
   */
  async claim(imageId: string, scrubTimeSeconds: number, claimTimeoutMs: number): Promise<ScrubClaim> {
    return this.writes.transaction(async (tx) => {
      const now = new Date();
      const due = new Date(now.getTime() - scrubTimeSeconds * 1000);
      const locked = await tx.update(
        ImageEntity,
        { id: imageId, status: 'pending_delete', deletedAt: LessThanOrEqual(due) },
        { updatedAt: now },
      );
      if (!locked.affected) {
        const image = await tx.findOneBy(ImageEntity, { id: imageId });
        if (image?.status !== 'pending_delete' || !image.deletedAt) return { outcome: 'gone' };
        return { outcome: 'not_due', dueInMs: Math.max(1, image.deletedAt.getTime() + scrubTimeSeconds * 1000 - now.getTime()) };
      }
      const stale = now.getTime() - claimTimeoutMs;
      const rows = await tx.findBy(ImageLocationEntity, { imageId, status: In(['pending_delete', SCRUBBING]) });
      const claimable = rows.filter((row) => row.status === 'pending_delete' || row.updatedAt.getTime() < stale);
      if (claimable.length > 0) {
        await tx.update(ImageLocationEntity, { id: In(claimable.map((row) => row.id)) }, { status: SCRUBBING, updatedAt: now });
        return { outcome: 'claimed', locations: claimable.map((l) => ({ id: l.id, url: l.value })) };
      }
      if (rows.length > 0) {
        const oldest = Math.min(...rows.map((row) => row.updatedAt.getTime()));
        return { outcome: 'busy', retryInMs: Math.max(1, oldest + claimTimeoutMs - now.getTime()) };
      }
      // No data left (every location deleted before): the image is simply deleted.
      await tx.update(ImageEntity, { id: imageId, status: 'pending_delete' }, { status: 'deleted', updatedAt: now });
      return { outcome: 'claimed', locations: [] };
    });
  }

  /**
   * Marks the claimed locations whose data is gone deleted and hands the released ones back to
   * pending_delete; once none is pending or being scrubbed, the image is deleted (idempotent).
   */
  async done(imageId: string, locationIds: number[], releasedIds: number[] = []): Promise<'deleted' | 'pending_delete'> {
    return this.writes.transaction(async (tx) => {
      const now = new Date();
      await tx.update(ImageEntity, { id: imageId, status: 'pending_delete' }, { updatedAt: now });
      if (locationIds.length > 0) {
        await tx.update(
          ImageLocationEntity,
          { imageId, id: In(locationIds), status: In(['pending_delete', SCRUBBING]) },
          { status: 'deleted', updatedAt: now },
        );
      }
      if (releasedIds.length > 0) {
        await tx.update(ImageLocationEntity, { imageId, id: In(releasedIds), status: SCRUBBING }, { status: 'pending_delete', updatedAt: now });
      }
      const remaining = await tx.countBy(ImageLocationEntity, { imageId, status: In(['pending_delete', SCRUBBING]) });
      if (remaining > 0) return 'pending_delete';
      await tx.update(ImageEntity, { id: imageId, status: 'pending_delete' }, { status: 'deleted', updatedAt: now });
      return 'deleted';
    });
  }

  /** pending_delete → active, with everything the image had: nothing else was ever removed. */
  async restore(imageId: string): Promise<void> {
    await this.writes.transaction(async (tx) => {
      const now = new Date();
      // The row lock first (no read before it), so a claim committed meanwhile is seen below.
      const changed = await tx.update(
        ImageEntity,
        { id: imageId, status: 'pending_delete' },
        { status: 'active', deleted: false, deletedAt: null, updatedAt: now },
      );
      if (!changed.affected) {
        const image = await tx.findOneBy(ImageEntity, { id: imageId });
        if (!image) throw notFound(`No image found with ID ${imageId}`);
        throw conflict(
          image.status === 'deleted'
            ? `Image ${imageId} cannot be restored: its data has already been scrubbed.`
            : `Image ${imageId} cannot be restored: it is ${image.status}, not pending_delete.`,
        );
      }
      if (await tx.existsBy(ImageLocationEntity, { imageId, status: SCRUBBING })) {
        // Rolls the status change back: the scrubber is deleting its data.
        throw conflict(`Image ${imageId} cannot be restored: the scrubber is deleting its data.`);
      }
      await tx.update(ImageLocationEntity, { imageId, status: 'pending_delete' }, { status: 'active', updatedAt: now });
    });
  }
}
