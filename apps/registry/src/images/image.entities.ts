import { Column, Entity, Index, PrimaryColumn, PrimaryGeneratedColumn } from 'typeorm';
import { TaskEntity } from '../tasks/task.entity';
import { CacheNodeEntity } from '../cache/cache-node.entity';

/** One row per image; soft-deleted rows stay (deleted = true) as in Glance. */
@Entity('images')
@Index('ix_images_listing', ['deleted', 'createdAt', 'id'])
export class ImageEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id!: string;

  @Column({ type: 'varchar', length: 255, nullable: true })
  name!: string | null;

  @Column({ type: 'bigint', nullable: true })
  size!: string | number | null;

  @Column({ name: 'virtual_size', type: 'bigint', nullable: true })
  virtualSize!: string | number | null;

  @Index('ix_images_status')
  @Column({ type: 'varchar', length: 30 })
  status!: string;

  @Index('ix_images_visibility')
  @Column({ type: 'varchar', length: 9 })
  visibility!: string;

  @Column({ type: 'boolean', default: false })
  protected!: boolean;

  @Column({ name: 'os_hidden', type: 'boolean', default: false })
  osHidden!: boolean;

  @Index('ix_images_checksum')
  @Column({ type: 'varchar', length: 32, nullable: true })
  checksum!: string | null;

  @Column({ name: 'os_hash_algo', type: 'varchar', length: 64, nullable: true })
  osHashAlgo!: string | null;

  @Index('ix_images_os_hash_value')
  @Column({ name: 'os_hash_value', type: 'varchar', length: 128, nullable: true })
  osHashValue!: string | null;

  @Index('ix_images_owner')
  @Column({ type: 'varchar', length: 255, nullable: true })
  owner!: string | null;

  @Column({ name: 'disk_format', type: 'varchar', length: 20, nullable: true })
  diskFormat!: string | null;

  @Column({ name: 'container_format', type: 'varchar', length: 20, nullable: true })
  containerFormat!: string | null;

  @Column({ name: 'min_disk', type: 'int', default: 0 })
  minDisk!: number;

  @Column({ name: 'min_ram', type: 'int', default: 0 })
  minRam!: number;

  @Column({ name: 'created_at', type: 'datetime', precision: 6 })
  createdAt!: Date;

  @Column({ name: 'updated_at', type: 'datetime', precision: 6 })
  updatedAt!: Date;

  @Column({ name: 'deleted_at', type: 'datetime', precision: 6, nullable: true })
  deletedAt!: Date | null;

  @Column({ type: 'boolean', default: false })
  deleted!: boolean;
}

@Entity('image_properties')
@Index('ux_image_properties_image_name', ['imageId', 'name'], { unique: true })
export class ImagePropertyEntity {
  @PrimaryGeneratedColumn()
  id!: number;

  @Column({ name: 'image_id', type: 'varchar', length: 36 })
  imageId!: string;

  @Column({ type: 'varchar', length: 255 })
  name!: string;

  @Column({ type: 'text' })
  value!: string;
}

@Entity('image_tags')
@Index('ux_image_tags_image_value', ['imageId', 'value'], { unique: true })
export class ImageTagEntity {
  @PrimaryGeneratedColumn()
  id!: number;

  @Column({ name: 'image_id', type: 'varchar', length: 36 })
  imageId!: string;

  @Column({ type: 'varchar', length: 255 })
  value!: string;
}

@Entity('image_locations')
@Index('ix_image_locations_image', ['imageId'])
export class ImageLocationEntity {
  @PrimaryGeneratedColumn()
  id!: number;

  @Column({ name: 'image_id', type: 'varchar', length: 36 })
  imageId!: string;

  @Column({ type: 'text' })
  value!: string;

  @Column({ name: 'meta_data', type: 'text' })
  metaData!: string;

  @Column({ type: 'varchar', length: 30, default: 'active' })
  status!: string;

  @Column({ name: 'created_at', type: 'datetime', precision: 6 })
  createdAt!: Date;

  @Column({ name: 'updated_at', type: 'datetime', precision: 6 })
  updatedAt!: Date;
}

/** Project memberships of shared images (the members API arrives with issue 3). */
@Entity('image_members')
@Index('ux_image_members_image_member', ['imageId', 'member'], { unique: true })
export class ImageMemberEntity {
  @PrimaryGeneratedColumn()
  id!: number;

  @Column({ name: 'image_id', type: 'varchar', length: 36 })
  imageId!: string;

  @Index('ix_image_members_member')
  @Column({ type: 'varchar', length: 255 })
  member!: string;

  @Column({ type: 'varchar', length: 20, default: 'pending' })
  status!: string;

  @Column({ name: 'created_at', type: 'datetime', precision: 6 })
  createdAt!: Date;

  @Column({ name: 'updated_at', type: 'datetime', precision: 6 })
  updatedAt!: Date;
}

export const ENTITIES = [ImageEntity, ImagePropertyEntity, ImageTagEntity, ImageLocationEntity, ImageMemberEntity, TaskEntity, CacheNodeEntity];
