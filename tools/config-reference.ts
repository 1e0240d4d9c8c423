import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { configReference, sampleConfig } from '../libs/config/src/config-reference';

const root = join(__dirname, '..');
writeFileSync(join(root, 'docs/configuration.md'), configReference());
mkdirSync(join(root, 'etc'), { recursive: true });
writeFileSync(join(root, 'etc/glimpse.conf.sample'), sampleConfig());
console.log('wrote docs/configuration.md and etc/glimpse.conf.sample');
