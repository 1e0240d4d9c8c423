#!/usr/bin/env node
'use strict';
// glimpse image upload|download with progress bars and checksum checks. Built with the pruner
// app: dist/apps/pruner/image.js.
const { existsSync } = require('node:fs');
const { join } = require('node:path');

const entry = join(__dirname, '..', 'dist', 'apps', 'pruner', 'image.js');
if (!existsSync(entry)) {
  console.error('glimpse-image: dist/apps/pruner/image.js is not built (run npm run build first)');
  process.exit(1);
}
require(entry);
