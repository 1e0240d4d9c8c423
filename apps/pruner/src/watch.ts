import { ConfigError, type GlimpseConfig, loadConfig } from '@glimpse/config';
import { namespaced } from '@glimpse/bus';
import { type NatsConnection, connect } from 'nats';
import { decodeMessage, formatLine, jsonLine } from './watch/watch-line';

const USAGE = `usage: glimpse-watch [subject] [--json] [--requests] [--utc] [--config-file <file>]
  subject     NATS subject or wildcard (default glimpse.>); a leading "glimpse" becomes [bus] bus_namespace
  --json      one JSON object a line: {time, subject, name, body}
  --requests  also show requests (messages with a reply inbox), as "→ request" lines
  --utc       times in UTC (default: local time)`;

interface WatchArgs {
  subject: string | undefined;
  json: boolean;
  requests: boolean;
  utc: boolean;
}

function parseArgs(argv: string[]): WatchArgs | string {
  const args: WatchArgs = { subject: undefined, json: false, requests: false, utc: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--json') args.json = true;
    else if (arg === '--requests') args.requests = true;
    else if (arg === '--utc') args.utc = true;
    else if (arg === '--config-file') i++; // read by loadConfig
    else if (arg.startsWith('--config-file=')) continue;
    else if (arg.startsWith('-')) return `unknown option ${arg}`;
    else if (args.subject === undefined) args.subject = arg;
    else return `one subject only (got ${args.subject} and ${arg})`;
  }
  return args;
}

/**
 * glimpse watch: every event of a cluster as it happens, one readable line each, straight from
 * NATS (`[bus] nats_url`, subjects in `[bus] bus_namespace`). See docs/events.md.
 */
async function main(argv: string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(USAGE);
    return 0;
  }
  const args = parseArgs(argv);
  if (typeof args === 'string') {
    console.error(`glimpse-watch: ${args}\n${USAGE}`);
    return 2;
  }
  let config: GlimpseConfig;
  try {
    config = loadConfig(undefined, { transport: 'nats' });
  } catch (error) {
    console.error(`glimpse-watch: ${(error as Error).message}`);
    return error instanceof ConfigError ? 2 : 1;
  }
  if (config.DEFAULT.transport !== 'nats') {
    console.error('glimpse-watch: transport = in-process: an embedded Glimpse publishes nothing on NATS');
    return 2;
  }
  const namespace = config.bus.bus_namespace;
  const subject = namespaced(args.subject ?? 'glimpse.>', namespace);
  const servers = config.bus.nats_url.split(',').map((s) => s.trim()).filter(Boolean);
  let nc: NatsConnection;
  try {
    nc = await connect({ servers, name: 'glimpse-watch', maxReconnectAttempts: -1 });
  } catch (error) {
    console.error(`glimpse-watch: cannot reach NATS at ${servers.join(',')} ([bus] nats_url): ${(error as Error).message}`);
    return 1;
  }
  const stop = () => void nc.drain().catch(() => nc.close());
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  void (async () => {
    for await (const status of nc.status()) {
      if (status.type === 'disconnect' || status.type === 'reconnect') console.error(`glimpse-watch: ${status.type} ${String(status.data)}`);
    }
  })();

  process.stdout.on('error', stop); // a closed pipe (glimpse-watch | head) ends the watch
  const sub = nc.subscribe(subject);
  await nc.flush(); // the server has the subscription: nothing published from now on is missed
  console.error(`glimpse-watch: watching ${subject} on ${servers.join(',')}`);
  for await (const message of sub) {
    const event = decodeMessage(message, namespace, new Date());
    if (event.request && !args.requests) continue;
    process.stdout.write(`${args.json ? jsonLine(event) : formatLine(event, { utc: args.utc })}\n`);
  }
  const closed = await nc.closed();
  if (closed) {
    console.error(`glimpse-watch: ${closed.message}`);
    return 1;
  }
  return 0;
}

main(process.argv.slice(2)).then((code) => process.exit(code));
