#!/usr/bin/env node
'use strict';
// Embedded mode: all five apps in this one process, on SQLite, the filesystem store and the
// in-process bus. Each app is loaded from its own build (dist/apps/<app>/embedded.js).
const { join } = require('node:path');

const ROOT = join(__dirname, '..');
// The registry starts first: the others ask it questions as soon as they are up.
const START_ORDER = ['registry', 'api', 'cache-agent', 'scrubber', 'pruner'];

function load(app) {
  try {
    return require(join(ROOT, 'dist', 'apps', app, 'embedded.js'));
  } catch (error) {
    console.error(`glimpse: cannot load ${app} (run npm run build first): ${error.message}`);
    process.exit(1);
  }
}

async function main() {
  // api is loaded first so its telemetry (and HTTP instrumentation) is set up before anything else.
  const apps = Object.fromEntries(['api', ...START_ORDER.filter((a) => a !== 'api')].map((app) => [app, load(app)]));
  const { loadConfig } = apps.api;
  const running = [];
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    console.error(`glimpse: ${error.message}`);
    process.exit(2);
  }
  if (config.DEFAULT.transport !== 'in-process') {
    console.error('glimpse: npm start runs the embedded mode (transport = in-process); use npm run start:cluster for NATS');
    process.exit(2);
  }
  for (const app of START_ORDER) {
    try {
      running.push(await apps[app].start(config));
    } catch (error) {
      console.error(`glimpse: ${app} failed to start: ${error.message}`);
      await Promise.allSettled(running.reverse().map((r) => r.close()));
      process.exit(1);
    }
  }
  const api = running.find((r) => r.service === 'api');
  console.log(`glimpse: embedded mode ready; Images API v2 on ${api.url} (data in ${config.DEFAULT.data_dir})`);
  let stopping = false;
  const stop = async (signal) => {
    if (stopping) return;
    stopping = true;
    console.log(`glimpse: ${signal}, stopping`);
    for (const r of running.reverse()) await r.close().catch(() => undefined);
    process.exit(0);
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

main();
