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
