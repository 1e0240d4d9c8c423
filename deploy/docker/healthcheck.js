#!/usr/bin/env node
'use strict';
// The image's HEALTHCHECK: GET /healthcheck on the HTTP port of the app this container runs, which
// must answer 200 "OK" within the timeout. The app is the argument, else the one whose main.js a
// process of this container runs, else GLIMPSE_APP; its port is GLIMPSE_<port option> or the
// default (as in libs/config/src/options.ts). One-shot commands (migrate, scrub) are healthy.
const { readdirSync, readFileSync } = require('node:fs');
const http = require('node:http');

const PORTS = {
  api: ['GLIMPSE_BIND_PORT', 9292],
  registry: ['GLIMPSE_REGISTRY_HEALTH_PORT', 9191],
  'cache-agent': ['GLIMPSE_CACHE_AGENT_PORT', 9296],
  scrubber: ['GLIMPSE_SCRUBBER_HEALTH_PORT', 9297],
  pruner: ['GLIMPSE_PRUNER_HEALTH_PORT', 9298],
};
const TIMEOUT_MS = 4000;

function runningApp() {
  for (const pid of readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
    let argv;
    try {
      argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    } catch {
      continue;
    }
    for (const arg of argv) {
      const match = /dist\/apps\/([a-z-]+)\/(main|migrate|scrub)\.js$/.exec(
        arg,
      );
      if (match) return match[2] === 'main' ? match[1] : match[2];
      // Embedded: all five apps in one process, answering on the API's port.
      if (arg.endsWith('bin/glimpse.js')) return 'api';
    }
  }
  return undefined;
}

const app = process.argv[2] || runningApp() || process.env.GLIMPSE_APP || 'api';
if (!PORTS[app]) {
  console.log(`${app}: no health endpoint (one-shot command)`);
  process.exit(0);
}
const [variable, fallback] = PORTS[app];
const port = Number(process.env[variable] || fallback);
const request = http.get(
  { host: '127.0.0.1', port, path: '/healthcheck', timeout: TIMEOUT_MS },
  (response) => {
    let body = '';
    response.setEncoding('utf8');
    response.on('data', (chunk) => (body += chunk));
    response.on('end', () => {
      const healthy = response.statusCode === 200 && body.trim() === 'OK';
      console.log(
        `${app} :${port}/healthcheck -> ${response.statusCode} ${body.trim().slice(0, 80)}`,
      );
      process.exit(healthy ? 0 : 1);
    });
  },
);
request.on('timeout', () =>
  request.destroy(new Error(`no answer within ${TIMEOUT_MS} ms`)),
);
request.on('error', (error) => {
  console.log(`${app} :${port}/healthcheck: ${error.message}`);
  process.exit(1);
});
