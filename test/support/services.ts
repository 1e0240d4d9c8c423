import { spawnSync } from 'node:child_process';
import { connect } from 'node:net';

/** The real services the integration and e2e tiers need; a missing one fails by name. */
export const MARIADB = { name: 'MariaDB', host: '127.0.0.1', port: 3306 };
export const NATS = { name: 'NATS (with JetStream)', host: '127.0.0.1', port: 4222 };
export const OBJSTORE = { name: 'OpenStack Swift with S3 API (scripts/objstore/start.sh)', host: '127.0.0.1', port: Number(process.env['OBJSTORE_PORT'] ?? 18080) };

export function reachable(host: string, port: number, timeoutMs = 2000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

export async function requireService(service: { name: string; host: string; port: number }): Promise<void> {
  if (!(await reachable(service.host, service.port))) {
    throw new Error(
      `${service.name} is not reachable on ${service.host}:${service.port}; start it with scripts/services.sh (npm test does)`,
    );
  }
}

const NATS_DAEMON = ['--exec', '/usr/sbin/nats-server'];

async function waitUntil(probe: () => Promise<boolean>, what: string, timeoutMs = 20000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`${what} did not happen within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/**
 * Stops the machine's NATS (as the session's services started it: start-stop-daemon, JetStream
 * in /var/lib/nats-server), runs `whileDown`, and always starts it again: the other suites need it.
 */
export async function restartNats(whileDown: () => Promise<void> = async () => undefined): Promise<void> {
  const start = () =>
    spawnSync(
      'start-stop-daemon',
      ['--start', '--oknodo', '--background', ...NATS_DAEMON, '--', '-a', '127.0.0.1', '-p', '4222', '-js', '-sd', '/var/lib/nats-server', '-l', '/var/log/nats-server.log'],
      { encoding: 'utf8' },
    );
  let started: ReturnType<typeof start> | null = null;
  try {
    const stopped = spawnSync('start-stop-daemon', ['--stop', '--retry', '10', ...NATS_DAEMON], { encoding: 'utf8' });
    if (stopped.status !== 0 && stopped.status !== 1) throw new Error(`could not stop NATS: ${stopped.stderr}`);
    await waitUntil(async () => !(await reachable(NATS.host, NATS.port, 500)), 'NATS stopping');
    await whileDown();
  } finally {
    started = start();
  }
  if (started.status !== 0) throw new Error(`could not start NATS again: ${started.stderr}`);
  await waitUntil(() => reachable(NATS.host, NATS.port, 500), 'NATS starting');
}
