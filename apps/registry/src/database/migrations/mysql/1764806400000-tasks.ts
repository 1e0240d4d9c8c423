import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Glance's tasks table, for interoperable import (MySQL, MariaDB). */
export class TasksMysql1764806400000 implements MigrationInterface {
  name = 'TasksMysql1764806400000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query("CREATE TABLE `tasks` (`id` varchar(36) NOT NULL, `type` varchar(30) NOT NULL, `status` varchar(30) NOT NULL, `input` text NOT NULL, `result` text NULL, `message` text NOT NULL, `owner` varchar(255) NULL, `image_id` varchar(36) NULL, `request_id` varchar(64) NULL, `user_id` varchar(64) NULL, `worker` varchar(64) NULL, `expires_at` datetime(6) NULL, `created_at` datetime(6) NOT NULL, `updated_at` datetime(6) NOT NULL, INDEX `ix_tasks_status_updated` (`status`, `updated_at`), INDEX `ix_tasks_image` (`image_id`), PRIMARY KEY (`id`)) ENGINE=InnoDB");
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP TABLE `tasks`');
  }
}
