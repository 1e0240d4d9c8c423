import { SERVICES } from '@glimpse/contracts';
import { JSONCodec, connect } from 'nats';
import { type RunningGlimpse, startGlimpse } from '../support/glimpse';
import { TcpRelay } from '../support/tcp-relay';
import { eventually } from '../support/eventually';

/** Each app as its own process: it starts, joins the bus and answers its health check. */
describe('cluster mode: every app on its own', () => {
  let glimpse: RunningGlimpse;
  beforeAll(async () => {
    glimpse = await startGlimpse('cluster');
  }, 60000);
  afterAll(async () => glimpse?.stop());

  it.each(SERVICES)('%s answers GET /healthcheck on its own port', async (service) => {
    const res = await fetch(`${glimpse.healthUrls[service]}/healthcheck`);
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('OK');
  });

  it('every app answers its health subject on NATS, each from its own process', async () => {
    const nc = await connect({ servers: 'nats://127.0.0.1:4222' });
    const codec = JSONCodec<{ id?: string; data?: unknown; response?: { service: string; status: string; pid: number } }>();
    try {
      const pids = new Set<number>();
      for (const service of SERVICES) {
        const reply = await nc.request(`${glimpse.namespace}.${service}.health.check.v1`, codec.encode({ id: 'health-probe', data: {} }), { timeout: 3000 });
        const body = codec.decode(reply.data);
        expect(body.response).toMatchObject({ service, status: 'ok' });
        pids.add(body.response!.pid);
      }
      expect(pids.size).toBe(SERVICES.length);
    } finally {
      await nc.close();
    }
  });

  it('publishes readable image events on the bus after commit', async () => {
    const nc = await connect({ servers: 'nats://127.0.0.1:4222' });
    const codec = JSONCodec<{ data: { imageId: string; status: string } }>();
    try {
      const sub = nc.subscribe(`${glimpse.namespace}.events.image.created.v1`, { max: 1 });
      const res = await fetch(`${glimpse.url}/v2/images`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{"name":"evented"}' });
      const id = ((await res.json()) as { id: string }).id;
      for await (const message of sub) {
        expect(codec.decode(message.data).data).toMatchObject({ imageId: id, status: 'queued' });
      }
    } finally {
      await nc.close();
    }
  });
});

async function readiness(url: string): Promise<{ status: number; body: { status: string; problems: string[] } }> {
  const res = await fetch(`${url}/healthcheck/ready`);
  return { status: res.status, body: (await res.json()) as { status: string; problems: string[] } };
}

/** Readiness: an app whose database or NATS cannot be reached says so, and recovers with it. */
describe('cluster mode: readiness follows the database and NATS', () => {
  const db = new TcpRelay('127.0.0.1', 3306);
  const nats = new TcpRelay('127.0.0.1', 4222);
  let glimpse: RunningGlimpse;
  beforeAll(async () => {
    await db.start();
    await nats.start();
    glimpse = await startGlimpse('cluster', {}, { mysqlPort: db.port, natsUrl: `nats://127.0.0.1:${nats.port}` });
  }, 60000);
  afterAll(async () => {
    await glimpse?.stop();
    await db.stop();
    await nats.stop();
  });

  it('every app is ready while both are up', async () => {
    for (const service of SERVICES) expect(await readiness(glimpse.healthUrls[service])).toEqual({ status: 200, body: { service, status: 'ready', problems: [] } });
  });

  it('the registry is not ready while its database is down, and is again when it is back', async () => {
    await db.stop();
    const down = await eventually(() => readiness(glimpse.healthUrls['registry']), (r) => r.status === 503);
    expect(down.body.problems.join()).toMatch(/^database: /);
    expect((await fetch(`${glimpse.healthUrls['registry']}/healthcheck`)).status).toBe(200);
    await db.start();
    await eventually(() => readiness(glimpse.healthUrls['registry']), (r) => r.status === 200);
  }, 60000);

  it('no app is ready while NATS is unreachable, and all are again when it is back', async () => {
    await nats.stop();
    for (const service of SERVICES) {
      const down = await eventually(() => readiness(glimpse.healthUrls[service]), (r) => r.status === 503);
      expect(down.body.problems.join()).toMatch(/^bus: /);
    }
    await nats.start();
    for (const service of SERVICES) await eventually(() => readiness(glimpse.healthUrls[service]), (r) => r.status === 200, 40000);
  }, 120000);
});
