import { Injectable } from '@nestjs/common';
import {
  type CallerContext,
  type CreateMemberRequest,
  GlimpseError,
  type ImageRecord,
  type MemberRecord,
  type MemberStatus,
  type UpdateMemberRequest,
  conflict,
  forbidden,
  notFound,
} from '@glimpse/contracts';
import { DataSource } from 'typeorm';
import { WriteSerializer } from '../database/write-serializer';
import { ImageCatalog } from '../images/image-catalog';
import { ImageMemberEntity } from '../images/image.entities';

function toMemberRecord(row: ImageMemberEntity): MemberRecord {
  return {
    imageId: row.imageId,
    memberId: row.member,
    status: row.status as MemberStatus,
    createdAt: new Date(row.createdAt).toISOString(),
    updatedAt: new Date(row.updatedAt).toISOString(),
  };
}

/** Who an image is shared with. The image must be visible to the caller and shared. */
@Injectable()
export class MemberCatalog {
  constructor(
    private readonly db: DataSource,
    private readonly writes: WriteSerializer,
    private readonly images: ImageCatalog,
  ) {}

  async create(request: CreateMemberRequest): Promise<MemberRecord> {
    await this.sharedImage(request.caller, request.imageId);
    const now = new Date();
    const row = await this.writes.transaction(async (tx) => {
      if (await tx.existsBy(ImageMemberEntity, { imageId: request.imageId, member: request.memberId })) {
        throw conflict(`Member ${request.memberId} already exists on image ${request.imageId}.`);
      }
      if (request.quota >= 0 && (await tx.countBy(ImageMemberEntity, { imageId: request.imageId })) >= request.quota) {
        throw new GlimpseError('payload_too_large', `Maximum number of image members exceeded (image_member_quota is ${request.quota}).`);
      }
      const member = tx.create(ImageMemberEntity, {
        imageId: request.imageId,
        member: request.memberId,
        status: 'pending',
        createdAt: now,
        updatedAt: now,
      });
      return tx.save(member);
    });
    return toMemberRecord(row);
  }

  /** The owner and admins see every member; a member sees only itself. */
  async list(caller: CallerContext, imageId: string): Promise<MemberRecord[]> {
    const image = await this.sharedImage(caller, imageId);
    const rows = await this.db.getRepository(ImageMemberEntity).find({ where: { imageId }, order: { id: 'ASC' } });
    return rows.filter((row) => seesMember(caller, image, row.member)).map(toMemberRecord);
  }

  async get(caller: CallerContext, imageId: string, memberId: string): Promise<MemberRecord> {
    const image = await this.images.get(caller, imageId);
    const row = await this.db.getRepository(ImageMemberEntity).findOneBy({ imageId, member: memberId });
    if (image.visibility !== 'shared' || !row || !seesMember(caller, image, memberId)) {
      throw notFound(`Member ${memberId} not found on image ${imageId}.`);
    }
    return toMemberRecord(row);
  }

  async update(request: UpdateMemberRequest): Promise<MemberRecord> {
    await this.sharedImage(request.caller, request.imageId);
    const row = await this.writes.transaction(async (tx) => {
      const member = await tx.findOneBy(ImageMemberEntity, { imageId: request.imageId, member: request.memberId });
      if (!member) throw notFound(`Member ${request.memberId} not found on image ${request.imageId}.`);
      member.status = request.status;
      member.updatedAt = new Date();
      return tx.save(member);
    });
    return toMemberRecord(row);
  }

  async delete(caller: CallerContext, imageId: string, memberId: string): Promise<void> {
    await this.sharedImage(caller, imageId);
    const removed = await this.writes.transaction((tx) => tx.delete(ImageMemberEntity, { imageId, member: memberId }));
    if (!removed.affected) throw notFound(`Member ${memberId} not found on image ${imageId}.`);
  }

  private async sharedImage(caller: CallerContext, imageId: string): Promise<ImageRecord> {
    const image = await this.images.get(caller, imageId);
    if (image.visibility !== 'shared') throw forbidden('Only shared images have members.');
    return image;
  }
}

function seesMember(caller: CallerContext, image: ImageRecord, memberId: string): boolean {
  return caller.isAdmin || (caller.projectId !== null && (image.owner === caller.projectId || memberId === caller.projectId));
}
