import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';

type Row = Record<string, unknown>;

interface Statement {
  all(params: unknown[]): Row[];
}

interface SqliteConnection {
  prepare(sql: string): Statement;
}

const MAX_CACHED_STATEMENTS = 500;

/**
 * Runs read-only SQL with positional parameters on the registry's connection. On SQLite it keeps
 * prepared better-sqlite3 statements (a list or a show is a handful of sub-millisecond queries,
 * and preparing them each time would cost as much as running them); on MySQL it goes through
 * TypeORM's pool.
 */
@Injectable()
export class SqlReader {
  private readonly statements = new Map<string, Statement>();
  private readonly sqlite: SqliteConnection | null;

  constructor(private readonly db: DataSource) {
    this.sqlite =
      db.options.type === 'better-sqlite3' ? (db.driver as unknown as { databaseConnection: SqliteConnection }).databaseConnection : null;
  }

  async rows(sql: string, params: unknown[]): Promise<Row[]> {
    if (!this.sqlite) return this.db.query<Row[]>(sql, params);
    let statement = this.statements.get(sql);
    if (!statement) {
      if (this.statements.size >= MAX_CACHED_STATEMENTS) this.statements.clear();
      statement = this.sqlite.prepare(sql);
      this.statements.set(sql, statement);
    }
    return statement.all(params);
  }
}
