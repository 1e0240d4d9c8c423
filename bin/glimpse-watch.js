#!/usr/bin/env node
'use strict';
// glimpse watch [subject] [--json] [--requests] [--utc]: a cluster's events, live, one line each
// (docs/events.md). Built with the pruner app: dist/apps/pruner/watch.js.
const { existsSync } = require('node:fs');
const { join } = require('node:path');

const entry = join(__dirname, '..', 'dist', 'apps', 'pruner', 'watch.js');
if (!existsSync(entry)) {
  console.error('glimpse-watch: dist/apps/pruner/watch.js is not built (run npm run build first)');
  process.exit(1);
}
require(entry);
