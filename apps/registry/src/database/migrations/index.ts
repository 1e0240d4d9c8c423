// Listed by hand: the registry is bundled, so TypeORM cannot find migrations by glob.
import { InitialSchemaMysql1764652800000 } from './mysql/1764652800000-initial-schema';
import { TasksMysql1764806400000 } from './mysql/1764806400000-tasks';
import { InitialSchemaSqlite1764652800000 } from './sqlite/1764652800000-initial-schema';
import { TasksSqlite1764806400000 } from './sqlite/1764806400000-tasks';

export const SQLITE_MIGRATIONS = [InitialSchemaSqlite1764652800000, TasksSqlite1764806400000];
export const MYSQL_MIGRATIONS = [InitialSchemaMysql1764652800000, TasksMysql1764806400000];
