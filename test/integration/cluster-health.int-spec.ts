import { SERVICES } from '@glimpse/contracts';
import { JSONCodec, connect } from 'nats';
import { type RunningGlimpse, startGlimpse } from '../support/glimpse';


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
