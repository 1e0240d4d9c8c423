import 'reflect-metadata';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createConnection } from 'mysql2/promise';
import { loadConfig } from '@glimpse/config';
import { DataSource } from 'typeorm';
import { dataSourceOptions } from '../../apps/registry/src/database/data-source.options';

const ROOT = join(__dirname, '../..');
const TABLES = ['image_locations', 'image_members', 'image_properties', 'image_tags', 'images', 'tasks'];

function migrate(connection: string) {
  return spawnSync(process.execPath, ['dist/apps/registry/migrate.js'], {
    cwd: ROOT,
    env: { PATH: process.env['PATH'] ?? '', GLIMPSE_CONNECTION: connection },
    encoding: 'utf8',
    timeout: 30000,
  });
}

/** What TypeORM would still change to make the schema match the entities: must be nothing. */
async function drift(connection: string): Promise<string[]> {
  const config = loadConfig({ argv: [], env: { GLIMPSE_CONNECTION: connection } });
  const db = new DataSource(dataSourceOptions(config));
  await db.initialize();
  try {
    const log = await db.driver.createSchemaBuilder().log();
    return log.upQueries.map((q) => q.query);
  } finally {
    await db.destroy();
  }
}

describe('npm run db:migrate (glance-manage db_sync)', () => {
  const database = `glimpse_migrate_${Date.now().toString(36)}`;
  const mysqlUrl = `mysql://root@127.0.0.1:3306/${database}`;
  let dir: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'glimpse-migrate-'));
    const admin = await createConnection({ host: '127.0.0.1', user: 'root', password: '' });
    await admin.query(`CREATE DATABASE \`${database}\``);
    await admin.end();
  });

  afterAll(async () => {
    const admin = await createConnection({ host: '127.0.0.1', user: 'root', password: '' });
    await admin.query(`DROP DATABASE IF EXISTS \`${database}\``);
    await admin.end();
    rmSync(dir, { recursive: true, force: true });
  });

  it('creates the MariaDB schema, then finds it current, with no drift from the entities', async () => {
    const first = migrate(mysqlUrl);
    expect(first.stderr).toBe('');
    expect(first.stdout).toContain('applied: InitialSchemaMysql');
    const conn = await createConnection({ host: '127.0.0.1', user: 'root', password: '', database });
    const [rows] = await conn.query('SHOW TABLES');
    await conn.end();
    const tables = (rows as Record<string, string>[]).map((r) => Object.values(r)[0]).sort();
    expect(tables).toEqual(expect.arrayContaining(TABLES));
    expect(migrate(mysqlUrl).stdout).toContain('database schema is current');
    expect(await drift(mysqlUrl)).toEqual([]);
  });

  it('creates the SQLite schema with no drift from the entities', async () => {
    const sqliteUrl = `sqlite:///${join(dir, 'glimpse.sqlite')}`;
    expect(migrate(sqliteUrl).stdout).toContain('applied: InitialSchemaSqlite');
    expect(await drift(sqliteUrl)).toEqual([]);
  });

  it('keeps the registry from starting on an old schema when auto_migrate is off', () => {
    const result = spawnSync(process.execPath, ['dist/apps/registry/main.js'], {
      cwd: ROOT,
      env: {
        PATH: process.env['PATH'] ?? '',
        OTEL_SDK_DISABLED: 'true',
        GLIMPSE_CONNECTION: `sqlite:///${join(dir, 'empty.sqlite')}`,
        GLIMPSE_AUTO_MIGRATE: 'false',
        GLIMPSE_REGISTRY_HEALTH_PORT: '0',
      },
      encoding: 'utf8',
      timeout: 30000,
    });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('the database schema is not current: run `npm run db:migrate`');
  });
});
