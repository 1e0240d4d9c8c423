import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/** Glance's tasks table: one row per import, kept after it ends until expires_at. */
@Entity('tasks')
@Index('ix_tasks_image', ['imageId'])
@Index('ix_tasks_status_updated', ['status', 'updatedAt'])
export class TaskEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id!: string;

  @Column({ type: 'varchar', length: 30 })
  type!: string;

  @Column({ type: 'varchar', length: 30 })
  status!: string;

  @Column({ type: 'text' })
  input!: string;

  @Column({ type: 'text', nullable: true })
  result!: string | null;

  @Column({ type: 'text' })
  message!: string;

  @Column({ type: 'varchar', length: 255, nullable: true })
  owner!: string | null;

  @Column({ name: 'image_id', type: 'varchar', length: 36, nullable: true })
  imageId!: string | null;

  @Column({ name: 'request_id', type: 'varchar', length: 64, nullable: true })
  requestId!: string | null;

  @Column({ name: 'user_id', type: 'varchar', length: 64, nullable: true })
  userId!: string | null;

  /** The worker running the task; its heartbeat is updated_at. */
  @Column({ type: 'varchar', length: 64, nullable: true })
  worker!: string | null;

  @Column({ name: 'expires_at', type: 'datetime', precision: 6, nullable: true })
  expiresAt!: Date | null;

  @Column({ name: 'created_at', type: 'datetime', precision: 6 })
  createdAt!: Date;

  @Column({ name: 'updated_at', type: 'datetime', precision: 6 })
  updatedAt!: Date;
}
