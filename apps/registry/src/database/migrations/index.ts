// Listed by hand: the registry is bundled, so TypeORM cannot find migrations by glob.
import { InitialSchemaMysql1764652800000 } from './mysql/1764652800000-initial-schema';
import { TasksMysql1764806400000 } from './mysql/1764806400000-tasks';
import { CacheNodesMysql1764892800000 } from './mysql/1764892800000-cache-nodes';
import { InitialSchemaSqlite1764652800000 } from './sqlite/1764652800000-initial-schema';
import { TasksSqlite1764806400000 } from './sqlite/1764806400000-tasks';
import { CacheNodesSqlite1764892800000 } from './sqlite/1764892800000-cache-nodes';

export const SQLITE_MIGRATIONS = [InitialSchemaSqlite1764652800000, TasksSqlite1764806400000, CacheNodesSqlite1764892800000];
export const MYSQL_MIGRATIONS = [InitialSchemaMysql1764652800000, TasksMysql1764806400000, CacheNodesMysql1764892800000];
