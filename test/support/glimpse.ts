import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createConnection } from 'mysql2/promise';
import { connect as connectNats } from 'nats';

export type Mode = 'embedded' | 'cluster';

export interface RunningGlimpse {
  mode: Mode;
  url: string;
  /** Cluster only: the bus namespace and each app's health URL. */
  namespace: string | null;
  healthUrls: Record<string, string>;
  dataDir: string;
  /** The MariaDB database of a cluster (null when embedded). */
  database: string | null;
  /** The environment every app of this Glimpse was started with. */
  env: Record<string, string>;
  logs(): string;
  stop(): Promise<void>;
  /** SIGKILL the process that runs the API (embedded: all of Glimpse), keeping the data (a crash). */
  crash(): Promise<void>;
}

const ROOT = join(__dirname, '../..');
const CLUSTER_APPS = ['registry', 'api', 'cache-agent', 'scrubber', 'pruner'] as const;

/** Ports handed out by this process: the OS may offer a closed probe's port again before its app binds it. */
const handedOut = new Set<number>();

export async function freePort(): Promise<number> {
  for (;;) {
    const port = await probePort();
    if (handedOut.has(port)) continue;
    handedOut.add(port);
    return port;
  }
}

function probePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
    server.once('error', reject);
  });
}

async function waitForHealth(url: string, proc: ChildProcess[], logs: () => string, timeoutMs = 30000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const exited = proc.find((p) => p.exitCode !== null);
    if (exited) throw new Error(`a Glimpse process exited (${exited.exitCode}) during start:\n${logs()}`);
    try {
      const res = await fetch(`${url}/healthcheck`);
      if (res.status === 200) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`Glimpse did not become healthy at ${url}:\n${logs()}`);
}

function spawnNode(script: string, env: Record<string, string>, output: string[]): ChildProcess {
  const child = spawn(process.execPath, [script], {
    cwd: ROOT,
    env: { PATH: process.env['PATH'] ?? '', OTEL_SDK_DISABLED: 'true', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const keep = (chunk: Buffer) => {
    output.push(chunk.toString());
    if (output.length > 400) output.splice(0, output.length - 400);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  return child;
}

function stopAll(children: ChildProcess[]): Promise<void> {
  return Promise.all(
    children.map(
      (child) =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) return resolve();
          const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
          child.once('exit', () => {
            clearTimeout(timer);
            resolve();
          });
          child.kill('SIGTERM');
        }),
    ),
  ).then(() => undefined);
}

/** A cluster's JetStream work queues (streams named <namespace>-…) go with it: the shared NATS keeps nothing of a finished test. */
async function dropStreams(namespace: string): Promise<void> {
  const nc = await connectNats({ servers: 'nats://127.0.0.1:4222' });
  try {
    const jsm = await nc.jetstreamManager();
    for await (const stream of jsm.streams.list()) {
      if (stream.config.name.startsWith(`${namespace}-`)) await jsm.streams.delete(stream.config.name);
    }
  } finally {
    await nc.close();
  }
}

export interface ClusterOptions {
  /** Reach MariaDB on this port of 127.0.0.1 (a relay a test can cut) instead of 3306. */
  mysqlPort?: number;
  /** The apps' NATS (a relay a test can cut) instead of nats://127.0.0.1:4222. */
  natsUrl?: string;
}

/** Starts a real Glimpse from dist/: one process (embedded) or five over NATS and MariaDB. */
export async function startGlimpse(mode: Mode, env: Record<string, string> = {}, cluster: ClusterOptions = {}): Promise<RunningGlimpse> {
  const dataDir = mkdtempSync(join(tmpdir(), `glimpse-${mode}-`));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const output: string[] = [];
  const logs = () => output.join('');
  const base = { GLIMPSE_DATA_DIR: dataDir, GLIMPSE_BIND_PORT: String(port), ...env };

  if (mode === 'embedded') {
    const child = spawnNode('bin/glimpse.js', base, output);
    await waitForHealth(url, [child], logs).catch(async (error: unknown) => {
      await stopAll([child]);
      throw error;
    });
    return {
      mode, url, dataDir: base.GLIMPSE_DATA_DIR, database: null, logs, namespace: null, healthUrls: { api: url }, env: base,
      stop: async () => {
        await stopAll([child]);
        rmSync(dataDir, { recursive: true, force: true });
      },
      crash: async () => {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGKILL');
        await exited;
        rmSync(dataDir, { recursive: true, force: true });
      },
    };
  }

  const database = `glimpse_it_${randomBytes(4).toString('hex')}`;
  const admin = await createConnection({ host: '127.0.0.1', port: 3306, user: 'root', password: '' });
  await admin.query(`CREATE DATABASE \`${database}\``);
  await admin.end();
  const clusterEnv = {
    ...base,
    GLIMPSE_TRANSPORT: 'nats',
    // Its own subjects, so that clusters sharing the machine's NATS never answer each other.
    GLIMPSE_BUS_NAMESPACE: database.replace(/_/g, '-'),
    GLIMPSE_CONNECTION: `mysql://root@127.0.0.1:${cluster.mysqlPort ?? 3306}/${database}`,
    ...(cluster.natsUrl ? { GLIMPSE_NATS_URL: cluster.natsUrl } : {}),
    GLIMPSE_REGISTRY_HEALTH_PORT: String(await freePort()),
    GLIMPSE_CACHE_AGENT_PORT: String(await freePort()),
    GLIMPSE_SCRUBBER_HEALTH_PORT: String(await freePort()),
    GLIMPSE_PRUNER_HEALTH_PORT: String(await freePort()),
  };
  const children: ChildProcess[] = [];
  const dropDatabase = async () => {
    const conn = await createConnection({ host: '127.0.0.1', port: 3306, user: 'root', password: '' });
    await conn.query(`DROP DATABASE IF EXISTS \`${database}\``);
    await conn.end();
  };
  try {
    children.push(spawnNode('dist/apps/registry/main.js', clusterEnv, output));
    await waitForHealth(`http://127.0.0.1:${clusterEnv.GLIMPSE_REGISTRY_HEALTH_PORT}`, children, logs);
    for (const app of CLUSTER_APPS.slice(1)) children.push(spawnNode(`dist/apps/${app}/main.js`, clusterEnv, output));
    // Every app, not only the API: a test must not race an app that is still starting.
    for (const port of ['GLIMPSE_CACHE_AGENT_PORT', 'GLIMPSE_SCRUBBER_HEALTH_PORT', 'GLIMPSE_PRUNER_HEALTH_PORT'] as const) {
      await waitForHealth(`http://127.0.0.1:${clusterEnv[port]}`, children, logs);
    }
    await waitForHealth(url, children, logs);
  } catch (error) {
    // A cluster that did not come up must not outlive the test run.
    await stopAll(children.reverse());
    await dropDatabase();
    throw error;
  }
  const healthUrl = (name: string) => `http://127.0.0.1:${clusterEnv[name as keyof typeof clusterEnv]}`;
  return {
    mode, url, dataDir, database, logs,
    env: clusterEnv,
    namespace: clusterEnv.GLIMPSE_BUS_NAMESPACE,
    healthUrls: {
      api: url,
      registry: healthUrl('GLIMPSE_REGISTRY_HEALTH_PORT'),
      'cache-agent': healthUrl('GLIMPSE_CACHE_AGENT_PORT'),
      scrubber: healthUrl('GLIMPSE_SCRUBBER_HEALTH_PORT'),
      pruner: healthUrl('GLIMPSE_PRUNER_HEALTH_PORT'),
    },
    crash: async () => {
      const api = children[1];
      const exited = new Promise((resolve) => api.once('exit', resolve));
      api.kill('SIGKILL');
      await exited;
    },
    stop: async () => {
      await stopAll(children.reverse());
      await dropDatabase();
      await dropStreams(clusterEnv.GLIMPSE_BUS_NAMESPACE);
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export interface RunningApp {
  url: string;
  logs(): string;
  /** SIGKILL, as a crash: nothing is cleaned up. */
  crash(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * One more app process beside a cluster (a second cache agent standing for another node), with
 * the cluster's environment plus `env`; `portVariable` names the env variable of its HTTP port.
 */
export async function startApp(glimpse: RunningGlimpse, app: string, portVariable: string, env: Record<string, string> = {}): Promise<RunningApp> {
  const output: string[] = [];
  const logs = () => output.join('');
  const port = await freePort();
  const child = spawnNode(`dist/apps/${app}/main.js`, { ...glimpse.env, ...env, [portVariable]: String(port) }, output);
  const url = `http://127.0.0.1:${port}`;
  await waitForHealth(url, [child], logs).catch(async (error: unknown) => {
    await stopAll([child]);
    throw error;
  });
  return {
    url,
    logs,
    crash: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGKILL');
      await exited;
    },
    stop: () => stopAll([child]),
  };
}
