import type { MigrationInterface, QueryRunner } from 'typeorm';

/** The first schema: images with their properties, tags, locations and members (mysql). */
export class InitialSchemaMysql1764652800000 implements MigrationInterface {
  name = 'InitialSchemaMysql1764652800000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query("CREATE TABLE `images` (`id` varchar(36) NOT NULL, `name` varchar(255) NULL, `size` bigint NULL, `virtual_size` bigint NULL, `status` varchar(30) NOT NULL, `visibility` varchar(9) NOT NULL, `protected` tinyint NOT NULL DEFAULT 0, `os_hidden` tinyint NOT NULL DEFAULT 0, `checksum` varchar(32) NULL, `os_hash_algo` varchar(64) NULL, `os_hash_value` varchar(128) NULL, `owner` varchar(255) NULL, `disk_format` varchar(20) NULL, `container_format` varchar(20) NULL, `min_disk` int NOT NULL DEFAULT '0', `min_ram` int NOT NULL DEFAULT '0', `created_at` datetime(6) NOT NULL, `updated_at` datetime(6) NOT NULL, `deleted_at` datetime(6) NULL, `deleted` tinyint NOT NULL DEFAULT 0, INDEX `ix_images_status` (`status`), INDEX `ix_images_visibility` (`visibility`), INDEX `ix_images_checksum` (`checksum`), INDEX `ix_images_os_hash_value` (`os_hash_value`), INDEX `ix_images_owner` (`owner`), INDEX `ix_images_listing` (`deleted`, `created_at`, `id`), PRIMARY KEY (`id`)) ENGINE=InnoDB");
    await queryRunner.query("CREATE TABLE `image_properties` (`id` int NOT NULL AUTO_INCREMENT, `image_id` varchar(36) NOT NULL, `name` varchar(255) NOT NULL, `value` text NOT NULL, UNIQUE INDEX `ux_image_properties_image_name` (`image_id`, `name`), PRIMARY KEY (`id`)) ENGINE=InnoDB");
    await queryRunner.query("CREATE TABLE `image_tags` (`id` int NOT NULL AUTO_INCREMENT, `image_id` varchar(36) NOT NULL, `value` varchar(255) NOT NULL, UNIQUE INDEX `ux_image_tags_image_value` (`image_id`, `value`), PRIMARY KEY (`id`)) ENGINE=InnoDB");
    await queryRunner.query("CREATE TABLE `image_locations` (`id` int NOT NULL AUTO_INCREMENT, `image_id` varchar(36) NOT NULL, `value` text NOT NULL, `meta_data` text NOT NULL, `status` varchar(30) NOT NULL DEFAULT 'active', `created_at` datetime(6) NOT NULL, `updated_at` datetime(6) NOT NULL, INDEX `ix_image_locations_image` (`image_id`), PRIMARY KEY (`id`)) ENGINE=InnoDB");
    await queryRunner.query("CREATE TABLE `image_members` (`id` int NOT NULL AUTO_INCREMENT, `image_id` varchar(36) NOT NULL, `member` varchar(255) NOT NULL, `status` varchar(20) NOT NULL DEFAULT 'pending', `created_at` datetime(6) NOT NULL, `updated_at` datetime(6) NOT NULL, INDEX `ix_image_members_member` (`member`), UNIQUE INDEX `ux_image_members_image_member` (`image_id`, `member`), PRIMARY KEY (`id`)) ENGINE=InnoDB");
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query("DROP INDEX `ux_image_members_image_member` ON `image_members`");
    await queryRunner.query("DROP INDEX `ix_image_members_member` ON `image_members`");
    await queryRunner.query("DROP TABLE `image_members`");
    await queryRunner.query("DROP INDEX `ix_image_locations_image` ON `image_locations`");
    await queryRunner.query("DROP TABLE `image_locations`");
    await queryRunner.query("DROP INDEX `ux_image_tags_image_value` ON `image_tags`");
    await queryRunner.query("DROP TABLE `image_tags`");
    await queryRunner.query("DROP INDEX `ux_image_properties_image_name` ON `image_properties`");
    await queryRunner.query("DROP TABLE `image_properties`");
    await queryRunner.query("DROP INDEX `ix_images_listing` ON `images`");
    await queryRunner.query("DROP INDEX `ix_images_owner` ON `images`");
    await queryRunner.query("DROP INDEX `ix_images_os_hash_value` ON `images`");
    await queryRunner.query("DROP INDEX `ix_images_checksum` ON `images`");
    await queryRunner.query("DROP INDEX `ix_images_visibility` ON `images`");
    await queryRunner.query("DROP INDEX `ix_images_status` ON `images`");
    await queryRunner.query("DROP TABLE `images`");
  }
}
