import type { MigrationInterface, QueryRunner } from 'typeorm';

/** The cache nodes the agents' heartbeats report (sqlite). */
export class CacheNodesSqlite1764892800000 implements MigrationInterface {
  name = 'CacheNodesSqlite1764892800000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query("CREATE TABLE \"cache_nodes\" (\"node\" varchar(64) PRIMARY KEY NOT NULL, \"url\" varchar(255) NOT NULL, \"size_bytes\" bigint NOT NULL, \"max_size_bytes\" bigint NOT NULL, \"last_seen\" datetime(6) NOT NULL)");
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query("DROP TABLE \"cache_nodes\"");
  }
}
