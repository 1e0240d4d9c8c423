import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Glance's tasks table, for interoperable import (sqlite). */
export class TasksSqlite1764806400000 implements MigrationInterface {
  name = 'TasksSqlite1764806400000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query("CREATE TABLE \"tasks\" (\"id\" varchar(36) PRIMARY KEY NOT NULL, \"type\" varchar(30) NOT NULL, \"status\" varchar(30) NOT NULL, \"input\" text NOT NULL, \"result\" text, \"message\" text NOT NULL, \"owner\" varchar(255), \"image_id\" varchar(36), \"request_id\" varchar(64), \"user_id\" varchar(64), \"worker\" varchar(64), \"expires_at\" datetime(6), \"created_at\" datetime(6) NOT NULL, \"updated_at\" datetime(6) NOT NULL)");
    await queryRunner.query("CREATE INDEX \"ix_tasks_status_updated\" ON \"tasks\" (\"status\", \"updated_at\") ");
    await queryRunner.query("CREATE INDEX \"ix_tasks_image\" ON \"tasks\" (\"image_id\") ");
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query("DROP INDEX \"ix_tasks_image\"");
    await queryRunner.query("DROP INDEX \"ix_tasks_status_updated\"");
    await queryRunner.query("DROP TABLE \"tasks\"");
  }
}
