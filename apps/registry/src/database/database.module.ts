import { type DynamicModule, Inject, Logger, Module, type OnApplicationShutdown } from '@nestjs/common';
import type { GlimpseConfig } from '@glimpse/config';
import { DataSource } from 'typeorm';
import { dataSourceOptions } from './data-source.options';
import { SqlReader } from './sql-reader';
import { WriteSerializer } from './write-serializer';

/** Opens the database (the registry is the only process that does) and checks its schema. */
export async function openDatabase(config: GlimpseConfig): Promise<DataSource> {
  const db = new DataSource(dataSourceOptions(config));
  try {
    await db.initialize();
  } catch (error) {
    throw new Error(`[database] connection: cannot open the database: ${(error as Error).message}`);
  }
  if (config.database.auto_migrate) {
    const applied = await db.runMigrations({ transaction: 'each' });
    if (applied.length > 0) new Logger('Database').log(`applied migrations: ${applied.map((m) => m.name).join(', ')}`);
  } else if (await db.showMigrations()) {
    await db.destroy();
    throw new Error('the database schema is not current: run `npm run db:migrate` (or set [database] auto_migrate = true)');
  }
  return db;
}

@Module({})
export class DatabaseModule implements OnApplicationShutdown {
  constructor(@Inject(DataSource) private readonly db: DataSource) {}

  static forRoot(config: GlimpseConfig): DynamicModule {
    return {
      module: DatabaseModule,
      global: true,
      providers: [{ provide: DataSource, useFactory: () => openDatabase(config) }, WriteSerializer, SqlReader],
      exports: [DataSource, WriteSerializer, SqlReader],
    };
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.db.isInitialized) await this.db.destroy();
  }
}
