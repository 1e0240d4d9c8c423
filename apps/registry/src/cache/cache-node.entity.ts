import { Column, Entity, PrimaryColumn } from 'typeorm';

/** One cache agent's node, as last heard from (Glance's node_reference, with liveness). */
@Entity('cache_nodes')
export class CacheNodeEntity {
  @PrimaryColumn({ type: 'varchar', length: 64 })
  node!: string;

  @Column({ type: 'varchar', length: 255 })
  url!: string;

  @Column({ name: 'size_bytes', type: 'bigint' })
  sizeBytes!: string;

  @Column({ name: 'max_size_bytes', type: 'bigint' })
  maxSizeBytes!: string;

  @Column({ name: 'last_seen', type: 'datetime', precision: 6 })
  lastSeen!: Date;
}
