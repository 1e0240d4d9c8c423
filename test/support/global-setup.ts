import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { MARIADB, NATS, OBJSTORE, requireService } from './services';

/** Integration and e2e tests run the built apps: fail early, and by name, when something is missing. */
export default async function globalSetup(): Promise<void> {
  for (const app of ['api', 'registry', 'cache-agent', 'scrubber', 'pruner']) {
    if (!existsSync(join(__dirname, '../../dist/apps', app, 'main.js'))) {
      throw new Error(`dist/apps/${app} is not built: run npm run build (npm test does)`);
    }
  }
  await requireService(MARIADB);
  await requireService(NATS);
  await requireService(OBJSTORE);
}
