import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';

/**
 * Runs write transactions. SQLite has one connection, and TypeORM would interleave two async
 * transactions on it, so they are queued one after another; MySQL runs them concurrently.
 */
@Injectable()
export class WriteSerializer {
  private tail: Promise<unknown> = Promise.resolve();
  private readonly serial: boolean;

  constructor(private readonly db: DataSource) {
    this.serial = db.options.type === 'better-sqlite3';
  }

  transaction<T>(work: (tx: EntityManager) => Promise<T>): Promise<T> {
    if (!this.serial) return this.db.transaction(work);
    const run = this.tail.then(() => this.db.transaction(work));
    this.tail = run.catch(() => undefined);
    return run;
  }
}
