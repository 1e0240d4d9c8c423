import type { MigrationInterface, QueryRunner } from 'typeorm';

/** The first schema: images with their properties, tags, locations and members (sqlite). */
export class InitialSchemaSqlite1764652800000 implements MigrationInterface {
  name = 'InitialSchemaSqlite1764652800000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query("CREATE TABLE \"images\" (\"id\" varchar(36) PRIMARY KEY NOT NULL, \"name\" varchar(255), \"size\" bigint, \"virtual_size\" bigint, \"status\" varchar(30) NOT NULL, \"visibility\" varchar(9) NOT NULL, \"protected\" boolean NOT NULL DEFAULT (0), \"os_hidden\" boolean NOT NULL DEFAULT (0), \"checksum\" varchar(32), \"os_hash_algo\" varchar(64), \"os_hash_value\" varchar(128), \"owner\" varchar(255), \"disk_format\" varchar(20), \"container_format\" varchar(20), \"min_disk\" integer NOT NULL DEFAULT (0), \"min_ram\" integer NOT NULL DEFAULT (0), \"created_at\" datetime(6) NOT NULL, \"updated_at\" datetime(6) NOT NULL, \"deleted_at\" datetime(6), \"deleted\" boolean NOT NULL DEFAULT (0))");
    await queryRunner.query("CREATE INDEX \"ix_images_status\" ON \"images\" (\"status\") ");
    await queryRunner.query("CREATE INDEX \"ix_images_visibility\" ON \"images\" (\"visibility\") ");
    await queryRunner.query("CREATE INDEX \"ix_images_checksum\" ON \"images\" (\"checksum\") ");
    await queryRunner.query("CREATE INDEX \"ix_images_os_hash_value\" ON \"images\" (\"os_hash_value\") ");
    await queryRunner.query("CREATE INDEX \"ix_images_owner\" ON \"images\" (\"owner\") ");
    await queryRunner.query("CREATE INDEX \"ix_images_listing\" ON \"images\" (\"deleted\", \"created_at\", \"id\") ");
    await queryRunner.query("CREATE TABLE \"image_properties\" (\"id\" integer PRIMARY KEY AUTOINCREMENT NOT NULL, \"image_id\" varchar(36) NOT NULL, \"name\" varchar(255) NOT NULL, \"value\" text NOT NULL)");
    await queryRunner.query("CREATE UNIQUE INDEX \"ux_image_properties_image_name\" ON \"image_properties\" (\"image_id\", \"name\") ");
    await queryRunner.query("CREATE TABLE \"image_tags\" (\"id\" integer PRIMARY KEY AUTOINCREMENT NOT NULL, \"image_id\" varchar(36) NOT NULL, \"value\" varchar(255) NOT NULL)");
    await queryRunner.query("CREATE UNIQUE INDEX \"ux_image_tags_image_value\" ON \"image_tags\" (\"image_id\", \"value\") ");
    await queryRunner.query("CREATE TABLE \"image_locations\" (\"id\" integer PRIMARY KEY AUTOINCREMENT NOT NULL, \"image_id\" varchar(36) NOT NULL, \"value\" text NOT NULL, \"meta_data\" text NOT NULL, \"status\" varchar(30) NOT NULL DEFAULT ('active'), \"created_at\" datetime(6) NOT NULL, \"updated_at\" datetime(6) NOT NULL)");
    await queryRunner.query("CREATE INDEX \"ix_image_locations_image\" ON \"image_locations\" (\"image_id\") ");
    await queryRunner.query("CREATE TABLE \"image_members\" (\"id\" integer PRIMARY KEY AUTOINCREMENT NOT NULL, \"image_id\" varchar(36) NOT NULL, \"member\" varchar(255) NOT NULL, \"status\" varchar(20) NOT NULL DEFAULT ('pending'), \"created_at\" datetime(6) NOT NULL, \"updated_at\" datetime(6) NOT NULL)");
    await queryRunner.query("CREATE INDEX \"ix_image_members_member\" ON \"image_members\" (\"member\") ");
    await queryRunner.query("CREATE UNIQUE INDEX \"ux_image_members_image_member\" ON \"image_members\" (\"image_id\", \"member\") ");
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query("DROP INDEX \"ux_image_members_image_member\"");
    await queryRunner.query("DROP INDEX \"ix_image_members_member\"");
    await queryRunner.query("DROP TABLE \"image_members\"");
    await queryRunner.query("DROP INDEX \"ix_image_locations_image\"");
    await queryRunner.query("DROP TABLE \"image_locations\"");
    await queryRunner.query("DROP INDEX \"ux_image_tags_image_value\"");
    await queryRunner.query("DROP TABLE \"image_tags\"");
    await queryRunner.query("DROP INDEX \"ux_image_properties_image_name\"");
    await queryRunner.query("DROP TABLE \"image_properties\"");
    await queryRunner.query("DROP INDEX \"ix_images_listing\"");
    await queryRunner.query("DROP INDEX \"ix_images_owner\"");
    await queryRunner.query("DROP INDEX \"ix_images_os_hash_value\"");
    await queryRunner.query("DROP INDEX \"ix_images_checksum\"");
    await queryRunner.query("DROP INDEX \"ix_images_visibility\"");
    await queryRunner.query("DROP INDEX \"ix_images_status\"");
    await queryRunner.query("DROP TABLE \"images\"");
  }
}
