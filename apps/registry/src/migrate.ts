import 'reflect-metadata';
import { loadConfig } from '@glimpse/config';
import { DataSource } from 'typeorm';
import { dataSourceOptions } from './database/data-source.options';

/** `npm run db:migrate`: applies pending migrations (Glance's `glance-manage db_sync`). */
async function migrate(): Promise<void> {
  const config = loadConfig();
  const db = new DataSource(dataSourceOptions(config));
  await db.initialize();
  try {
    const applied = await db.runMigrations({ transaction: 'each' });
    console.log(applied.length === 0 ? 'database schema is current' : `applied: ${applied.map((m) => m.name).join(', ')}`);
  } finally {
    await db.destroy();
  }
}

migrate().catch((error: Error) => {
  console.error(`db:migrate failed: ${error.message}`);
  process.exit(1);
});
