import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { GlimpseConfig } from '@glimpse/config';
import type { DataSourceOptions } from 'typeorm';
import { ENTITIES } from '../images/image.entities';
import { MYSQL_MIGRATIONS, SQLITE_MIGRATIONS } from './migrations';

export type Dialect = 'sqlite' | 'mysql';

/** Reads [database] connection (SQLAlchemy-style URLs, as Glance's) into TypeORM options. */
export function dataSourceOptions(config: GlimpseConfig): DataSourceOptions {
  const url = config.database.connection;
  const common = { entities: ENTITIES, synchronize: false, migrationsRun: false, logging: false } as const;
  if (url.startsWith('sqlite://')) {
    const path = url.slice('sqlite://'.length).replace(/^\//, '');
    const database = path === '' || path === ':memory:' ? ':memory:' : resolve(path);
    if (database !== ':memory:') mkdirSync(dirname(database), { recursive: true });
    return {
      ...common,
      type: 'better-sqlite3',
      database,
      migrations: SQLITE_MIGRATIONS,
      enableWAL: true,
      prepareDatabase: (db: { pragma(statement: string): unknown }) => {
        db.pragma('synchronous = NORMAL');
        db.pragma('busy_timeout = 5000');
      },
    };
  }
  const parsed = parseMysqlUrl(url);
  return {
    ...common,
    type: 'mariadb',
    ...parsed,
    charset: 'utf8mb4_unicode_ci',
    timezone: 'Z',
    migrations: MYSQL_MIGRATIONS,
    poolSize: config.database.max_pool_size,
    extra: { connectionLimit: config.database.max_pool_size },
  };
}

function parseMysqlUrl(url: string): { host: string; port: number; username: string; password: string; database: string } {
  const match = /^(mysql|mariadb)(\+\w+)?:\/\//.exec(url);
  if (!match) {
    throw new Error(`[database] connection: unsupported URL scheme in "${url.split('@').pop()}" (use sqlite:/// or mysql://)`);
  }
  const parsed = new URL(url.replace(match[0], 'mysql://'));
  const database = parsed.pathname.replace(/^\//, '');
  if (!database) throw new Error('[database] connection: the URL names no database');
  return {
    host: parsed.hostname || '127.0.0.1',
    port: parsed.port ? Number(parsed.port) : 3306,
    username: decodeURIComponent(parsed.username || 'root'),
    password: decodeURIComponent(parsed.password),
    database,
  };
}

export function dialectOf(options: DataSourceOptions): Dialect {
  return options.type === 'better-sqlite3' ? 'sqlite' : 'mysql';
}
