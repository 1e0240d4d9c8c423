import { Injectable } from '@nestjs/common';
import { type DueImage, conflict, notFound } from '@glimpse/contracts';
import { DataSource, In, LessThanOrEqual } from 'typeorm';
import { WriteSerializer } from '../database/write-serializer';
import { ImageEntity, ImageLocationEntity } from '../images/image.entities';

/** The registry's side of delayed delete: what is due, what is done, and restore. */
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

  /** Marks the locations deleted; once none is pending, the image is deleted (idempotent). */
  async done(imageId: string, locationIds: number[]): Promise<'deleted' | 'pending_delete'> {
    return this.writes.transaction(async (tx) => {
      const now = new Date();
      if (locationIds.length > 0) {
        await tx.update(
          ImageLocationEntity,
          { imageId, id: In(locationIds), status: 'pending_delete' },
          { status: 'deleted', updatedAt: now },
        );
      }
      const remaining = await tx.countBy(ImageLocationEntity, { imageId, status: 'pending_delete' });
      if (remaining > 0) return 'pending_delete';
      await tx.update(ImageEntity, { id: imageId, status: 'pending_delete' }, { status: 'deleted', updatedAt: now });
      return 'deleted';
    });
  }

  /** pending_delete → active, with everything the image had: nothing else was ever removed. */
  async restore(imageId: string): Promise<void> {
    await this.writes.transaction(async (tx) => {
      const image = await tx.findOneBy(ImageEntity, { id: imageId });
      if (!image) throw notFound(`No image found with ID ${imageId}`);
      if (image.status !== 'pending_delete') {
        throw conflict(
          image.status === 'deleted'
            ? `Image ${imageId} cannot be restored: its data has already been scrubbed.`
            : `Image ${imageId} cannot be restored: it is ${image.status}, not pending_delete.`,
        );
      }
      const now = new Date();
      const changed = await tx.update(
        ImageEntity,
        { id: imageId, status: 'pending_delete' },
        { status: 'active', deleted: false, deletedAt: null, updatedAt: now },
      );
      if (!changed.affected) throw conflict(`Image ${imageId} changed while it was being restored.`);
      await tx.update(ImageLocationEntity, { imageId, status: 'pending_delete' }, { status: 'active', updatedAt: now });
    });
  }
}
