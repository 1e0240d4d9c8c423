#!/usr/bin/env node
'use strict';
// Cluster mode on one machine: every app as its own process over NATS, the registry on MySQL or
// MariaDB. Defaults: nats://127.0.0.1:4222 and mysql://root@127.0.0.1:3306/glimpse (created if
// missing); any GLIMPSE_* variable or --config-file overrides them, as for a single app.
const { spawn } = require('node:child_process');
const { join } = require('node:path');

const ROOT = join(__dirname, '..');
const APPS = ['registry', 'api', 'cache-agent', 'scrubber', 'pruner'];
const env = {
  ...process.env,
  GLIMPSE_TRANSPORT: 'nats',
  GLIMPSE_CONNECTION: process.env.GLIMPSE_CONNECTION || 'mysql://root@127.0.0.1:3306/glimpse',
};

async function ensureDatabase(url) {
  if (!/^(mysql|mariadb)/.test(url)) return;
  const parsed = new URL(url.replace(/^(mysql|mariadb)(\+\w+)?:/, 'mysql:'));
  const mysql = require('mysql2/promise');
  const conn = await mysql.createConnection({
    host: parsed.hostname,
    port: Number(parsed.port || 3306),
    user: decodeURIComponent(parsed.username || 'root'),
    password: decodeURIComponent(parsed.password),
  });
  await conn.query(`CREATE DATABASE IF NOT EXISTS \`${parsed.pathname.slice(1)}\``);
  await conn.end();
}

function run(app) {
  const child = spawn(process.execPath, [join(ROOT, 'dist/apps', app, 'main.js'), ...process.argv.slice(2)], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const prefix = `[${app}] `;
  const relay = (out) => (chunk) => out.write(chunk.toString().replace(/^(?=.)/gm, prefix));
  child.stdout.on('data', relay(process.stdout));
  child.stderr.on('data', relay(process.stderr));
  return child;
}

async function main() {
  try {
    await ensureDatabase(env.GLIMPSE_CONNECTION);
  } catch (error) {
    console.error(`glimpse-cluster: cannot reach the database (${error.message}); is MariaDB running? (scripts/services.sh)`);
    process.exit(1);
  }
  const children = [run('registry')];
  // The registry applies migrations before it answers; give it a moment before the API asks.
  await new Promise((r) => setTimeout(r, 1500));
  for (const app of APPS.slice(1)) children.push(run(app));
  let stopping = false;
  const stop = (signal) => {
    if (stopping) return;
    stopping = true;
    for (const child of children.reverse()) child.kill(signal);
  };
  for (const child of children) {
    child.on('exit', (code) => {
      if (!stopping) {
        console.error(`glimpse-cluster: a process exited with ${code}; stopping the others`);
        stop('SIGTERM');
        process.exitCode = code || 1;
      }
    });
  }
  process.on('SIGINT', () => stop('SIGTERM'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

main();
