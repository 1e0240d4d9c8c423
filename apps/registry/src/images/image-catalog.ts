import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import {
  type CallerContext,
  type CreateImageRequest,
  type DeleteImageReply,
  GlimpseError,
  type ImageRecord,
  type ListImagesRequest,
  type MutableImageFields,
  type SetLocationsReply,
  type SetLocationsRequest,
  type TransitionImageRequest,
  type UpdateImageRequest,
  type UsageReply,
  type UsageRequest,
  canTransition,
  conflict,
  notFound,
} from '@glimpse/contracts';
import { DataSource, type EntityManager, In, type SelectQueryBuilder } from 'typeorm';
import { WriteSerializer } from '../database/write-serializer';
import { ImageEntity, ImageLocationEntity, ImagePropertyEntity, ImageTagEntity } from './image.entities';
import { ImageReader } from './image-reader';

const COLUMN_OF: Record<keyof MutableImageFields, keyof ImageEntity> = {
  name: 'name',
  visibility: 'visibility',
  protected: 'protected',
  osHidden: 'osHidden',
  owner: 'owner',
  diskFormat: 'diskFormat',
  containerFormat: 'containerFormat',
  minDisk: 'minDisk',
  minRam: 'minRam',
};

/** The catalogue of images: every read and write of image rows goes through here. */
@Injectable()
export class ImageCatalog {
  constructor(
    private readonly db: DataSource,
    private readonly writes: WriteSerializer,
    private readonly reader: ImageReader,
  ) {}

  async create(request: CreateImageRequest): Promise<ImageRecord> {
    const id = request.id ?? randomUUID();
    const now = new Date();
    await this.writes.transaction(async (tx) => {
      if (await tx.existsBy(ImageEntity, { id })) throw conflict(`Image with identifier ${id} already exists!`);
      const image = tx.create(ImageEntity, {
        id,
        name: null,
        status: 'queued',
        visibility: 'shared',
        protected: false,
        osHidden: false,
        owner: request.caller.projectId,
        minDisk: 0,
        minRam: 0,
        diskFormat: null,
        containerFormat: null,
        createdAt: now,
        updatedAt: now,
        deleted: false,
        ...this.columns(request.fields),
      });
      await tx.insert(ImageEntity, image);
      await this.writeProperties(tx, id, request.properties, []);
      await this.writeTags(tx, id, request.tags);
    });
    return this.load(id);
  }

  get(caller: CallerContext, id: string): Promise<ImageRecord> {
    return this.reader.get(caller, id);
  }

  list(request: ListImagesRequest): Promise<ImageRecord[]> {
    return this.reader.list(request);
  }

  async update(request: UpdateImageRequest): Promise<ImageRecord> {
    await this.get(request.caller, request.id);
    await this.writes.transaction(async (tx) => {
      const changed = await tx.update(
        ImageEntity,
        { id: request.id, deleted: false },
        { ...this.columns(request.fields), updatedAt: new Date() },
      );
      if (!changed.affected) throw notFound(`No image found with ID ${request.id}`);
      await this.writeProperties(tx, request.id, request.setProperties, request.removeProperties);
      if (request.tags) await this.writeTags(tx, request.id, request.tags, true);
    });
    return this.load(request.id);
  }

  /** Compare-and-swap on the status; conflict when another request moved the image first. */
  async transition(request: TransitionImageRequest): Promise<ImageRecord> {
    const { id, from, to, data } = request;
    // from === to updates the data fields under the same compare-and-swap (a staged image's size).
    if (from !== to && !canTransition(from, to)) throw conflict(`Image status transition from ${from} to ${to} is not allowed`);
    await this.get(request.caller, id);
    await this.writes.transaction(async (tx) => {
      const now = new Date();
      const values: Partial<ImageEntity> = { status: to, updatedAt: now };
      if (data) {
        Object.assign(values, {
          size: data.size,
          checksum: data.checksum,
          osHashAlgo: data.osHashAlgo,
          osHashValue: data.osHashValue,
          ...(data.virtualSize !== undefined ? { virtualSize: data.virtualSize } : {}),
        });
      }
      const changed = await tx.update(ImageEntity, { id, status: from, deleted: false }, values);
      if (!changed.affected) {
        const latest = await tx.findOneBy(ImageEntity, { id });
        if (!latest || latest.deleted) throw new GlimpseError('gone', `Image ${id} was deleted meanwhile.`);
        throw conflict(`Image status transition from ${from} to ${to} is not allowed: the image is ${latest.status}`);
      }
      if (data?.location) {
        await tx.insert(ImageLocationEntity, {
          imageId: id,
          value: data.location.url,
          metaData: JSON.stringify(data.location.metadata),
          status: 'active',
          createdAt: now,
          updatedAt: now,
        });
      }
    });
    return this.load(id);
  }

  /**
   * Soft-deletes the image and marks its locations pending_delete in one transaction. Delayed
   * (delayed_delete), an image with data becomes pending_delete and keeps it for the scrubber;
   * otherwise it is deleted and the caller removes the data it is handed.
   */
  async delete(caller: CallerContext, id: string, delayed = false): Promise<DeleteImageReply> {
    await this.get(caller, id);
    let pendingLocations: DeleteImageReply['pendingLocations'] = [];
    await this.writes.transaction(async (tx) => {
      const now = new Date();
      const locations = await tx.findBy(ImageLocationEntity, { imageId: id, status: 'active' });
      const status = delayed && locations.length > 0 ? 'pending_delete' : 'deleted';
      const changed = await tx.update(
        ImageEntity,
        { id, deleted: false },
        { status, deleted: true, deletedAt: now, updatedAt: now },
      );
      if (!changed.affected) throw notFound(`No image found with ID ${id}`);
      if (locations.length > 0) {
        await tx.update(ImageLocationEntity, { id: In(locations.map((l) => l.id)) }, { status: 'pending_delete', updatedAt: now });
      }
      pendingLocations = status === 'pending_delete' ? [] : locations.map((l) => ({ id: l.id, url: l.value }));
    });
    const image = await this.loadAny(id);
    return { image, pendingLocations };
  }

  async setLocations(request: SetLocationsRequest): Promise<SetLocationsReply> {
    const { id, expectedStatus, activate } = request;
    await this.get(request.caller, id);
    const dropped: SetLocationsReply['dropped'] = [];
    await this.writes.transaction(async (tx) => {
      const now = new Date();
      const values: Partial<ImageEntity> = { updatedAt: now };
      if (activate) {
        const current = await tx.findOneBy(ImageEntity, { id });
        Object.assign(values, {
          status: 'active',
          ...(current?.size === null ? { size: activate.size } : {}),
          ...(activate.checksum !== undefined ? { checksum: activate.checksum } : {}),
          ...(activate.osHashAlgo !== undefined ? { osHashAlgo: activate.osHashAlgo } : {}),
          ...(activate.osHashValue !== undefined ? { osHashValue: activate.osHashValue } : {}),
        });
      }
      const changed = await tx.update(ImageEntity, { id, status: expectedStatus, deleted: false }, values);
      if (!changed.affected) throw conflict(`Image ${id} changed status while its locations were being updated.`);
      const existing = await tx.find(ImageLocationEntity, { where: { imageId: id, status: 'active' }, order: { id: 'ASC' } });
      const wanted = request.locations.map((l) => ({ url: l.url, metaData: JSON.stringify(l.metadata) }));
      const kept = new Map<number, number>(); // wanted index -> existing row id
      wanted.forEach((want, i) => {
        const match = existing.find((row) => ![...kept.values()].includes(row.id) && row.value === want.url && row.metaData === want.metaData);
        if (match) kept.set(i, match.id);
      });
      // Rows are read back in id order, so a new order means writing the kept rows again.
      const keptIds = [...kept.entries()].sort((a, b) => a[0] - b[0]).map(([, rowId]) => rowId);
      const inOrder = keptIds.every((rowId, i) => i === 0 || keptIds[i - 1] < rowId) && [...kept.keys()].every((i) => i < kept.size);
      if (!inOrder) await tx.delete(ImageLocationEntity, { id: In(keptIds) });
      for (const [i, want] of wanted.entries()) {
        if (inOrder && kept.has(i)) continue;
        await tx.insert(ImageLocationEntity, { imageId: id, value: want.url, metaData: want.metaData, status: 'active', createdAt: now, updatedAt: now });
      }
      const keptSet = new Set(keptIds);
      const gone = existing.filter((row) => !keptSet.has(row.id));
      if (gone.length > 0) {
        await tx.update(ImageLocationEntity, { id: In(gone.map((row) => row.id)) }, { status: 'pending_delete', updatedAt: now });
        dropped.push(...gone.map((row) => ({ id: row.id, url: row.value })));
      }
    });
    return { image: await this.load(id), dropped };
  }

  async purgeLocations(imageId: string, locationIds: number[]): Promise<number> {
    if (locationIds.length === 0) return 0;
    const result = await this.writes.transaction((tx) =>
      tx.update(
        ImageLocationEntity,
        { imageId, id: In(locationIds), status: 'pending_delete' },
        { status: 'deleted', updatedAt: new Date() },
      ),
    );
    return result.affected ?? 0;
  }

  async addTag(caller: CallerContext, id: string, tag: string): Promise<ImageRecord> {
    await this.get(caller, id);
    await this.writes.transaction(async (tx) => {
      if (!(await tx.existsBy(ImageTagEntity, { imageId: id, value: tag }))) {
        await tx.insert(ImageTagEntity, { imageId: id, value: tag });
      }
      await tx.update(ImageEntity, { id }, { updatedAt: new Date() });
    });
    return this.load(id);
  }

  async removeTag(caller: CallerContext, id: string, tag: string): Promise<ImageRecord> {
    await this.get(caller, id);
    await this.writes.transaction(async (tx) => {
      const removed = await tx.delete(ImageTagEntity, { imageId: id, value: tag });
      if (!removed.affected) throw notFound(`Tag ${tag} not found`);
      await tx.update(ImageEntity, { id }, { updatedAt: new Date() });
    });
    return this.load(id);
  }

  async usage(request: UsageRequest): Promise<UsageReply> {
    const qb = this.images()
      .select(
        "COALESCE(SUM(CASE WHEN i.status NOT IN ('killed', 'deleted', 'pending_delete') THEN COALESCE(i.size, 0) * " +
          "(SELECT COUNT(*) FROM image_locations l WHERE l.image_id = i.id AND l.status = 'active') ELSE 0 END), 0)",
        'storedBytes',
      )
      .addSelect("COALESCE(SUM(CASE WHEN i.status NOT IN ('killed', 'deleted', 'pending_delete') THEN 1 ELSE 0 END), 0)", 'imageCount')
      .addSelect("COALESCE(SUM(CASE WHEN i.status IN ('saving', 'uploading', 'importing') THEN 1 ELSE 0 END), 0)", 'uploadingCount')
      .where('i.deleted = 0');
    if (request.owner === null) qb.andWhere('i.owner IS NULL');
    else qb.andWhere('i.owner = :owner', { owner: request.owner });
    if (request.excludeImageId) qb.andWhere('i.id <> :exclude', { exclude: request.excludeImageId });
    const row = (await qb.getRawOne<Record<string, string | number>>()) ?? {};
    return {
      storedBytes: Number(row['storedBytes'] ?? 0),
      imageCount: Number(row['imageCount'] ?? 0),
      uploadingCount: Number(row['uploadingCount'] ?? 0),
    };
  }

  private images(): SelectQueryBuilder<ImageEntity> {
    return this.db.getRepository(ImageEntity).createQueryBuilder('i');
  }

  private async load(id: string): Promise<ImageRecord> {
    const image = await this.reader.byId(id);
    if (!image) throw notFound(`No image found with ID ${id}`);
    return image;
  }

  private async loadAny(id: string): Promise<ImageRecord> {
    const image = await this.reader.byId(id, true);
    if (!image) throw notFound(`No image found with ID ${id}`);
    return image;
  }

  private columns(fields: MutableImageFields): Partial<ImageEntity> {
    const values: Record<string, unknown> = {};
    for (const [field, column] of Object.entries(COLUMN_OF)) {
      const value = fields[field as keyof MutableImageFields];
      if (value !== undefined) values[column] = value;
    }
    return values as Partial<ImageEntity>;
  }

  private async writeProperties(
    tx: EntityManager,
    imageId: string,
    set: Record<string, string>,
    remove: string[],
  ): Promise<void> {
    const names = [...Object.keys(set), ...remove];
    if (names.length === 0) return;
    await tx.delete(ImagePropertyEntity, { imageId, name: In(names) });
    const rows = Object.entries(set).map(([name, value]) => ({ imageId, name, value }));
    if (rows.length > 0) await tx.insert(ImagePropertyEntity, rows);
  }

  private async writeTags(tx: EntityManager, imageId: string, tags: string[], replace = false): Promise<void> {
    if (replace) await tx.delete(ImageTagEntity, { imageId });
    const unique = [...new Set(tags)];
    if (unique.length > 0) await tx.insert(ImageTagEntity, unique.map((value) => ({ imageId, value })));
  }
}
