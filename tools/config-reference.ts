import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { configReference } from '../libs/config/src/config-reference';

writeFileSync(join(__dirname, '../docs/configuration.md'), configReference());
console.log('wrote docs/configuration.md');
