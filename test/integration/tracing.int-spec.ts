import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eventually } from '../support/eventually';
import { api, upload } from '../support/http';
import { type Mode, type RunningGlimpse, startGlimpse } from '../support/glimpse';
import { type ReceivedSpan, startOtlpReceiver } from '../support/otlp-receiver';

async function spansOf(spans: ReceivedSpan[], traceId: string, names: string[]): Promise<ReceivedSpan[]> {
  for (let i = 0; i < 100; i++) {
    const mine = spans.filter((s) => s.traceId === traceId);
    if (names.every((n) => mine.some((s) => s.name === n))) return mine;
    await new Promise((r) => setTimeout(r, 100));
  }
  return spans.filter((s) => s.traceId === traceId);
}

describe.each<Mode>(['embedded', 'cluster'])('one HTTP request is one trace across api and registry (%s)', (mode) => {
  let receiver: Awaited<ReturnType<typeof startOtlpReceiver>>;
  let glimpse: RunningGlimpse;

  beforeAll(async () => {
    receiver = await startOtlpReceiver();
    glimpse = await startGlimpse(mode, {
      OTEL_SDK_DISABLED: 'false',
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_BSP_SCHEDULE_DELAY: '100',
    });
  }, 60000);

  afterAll(async () => {
    await glimpse?.stop();
    await receiver?.close();
  });

  it('carries the caller traceparent through the bus into the registry span', async () => {
    const traceId = randomBytes(16).toString('hex');
    const res = await fetch(`${glimpse.url}/v2/images`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', traceparent: `00-${traceId}-${randomBytes(8).toString('hex')}-01` },
      body: JSON.stringify({ name: 'traced' }),
    });
    expect(res.status).toBe(201);
    const subject = 'glimpse.registry.image.create.v1';
    const spans = await spansOf(receiver.spans, traceId, [`${subject} send`, `${subject} process`]);
    const send = spans.find((s) => s.name === `${subject} send`);
    const processed = spans.find((s) => s.name === `${subject} process`);
    expect(send?.service).toBe('glimpse-api');
    expect(processed?.service).toBe(mode === 'embedded' ? 'glimpse-api' : 'glimpse-registry');
    expect(processed?.parentSpanId).toBe(send?.spanId);
    const server = spans.find((s) => s.service === 'glimpse-api' && s.name.startsWith('POST'));
    expect(server?.spanId).toBe(send?.parentSpanId);
  });
});

describe('a prefetch is one trace from the API through the agent’s durable queue to the store (cluster)', () => {
  let receiver: Awaited<ReturnType<typeof startOtlpReceiver>>;
  let glimpse: RunningGlimpse;
  const caches = mkdtempSync(join(tmpdir(), 'glimpse-traced-cache-'));

  beforeAll(async () => {
    receiver = await startOtlpReceiver();
    glimpse = await startGlimpse('cluster', {
      OTEL_SDK_DISABLED: 'false',
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_BSP_SCHEDULE_DELAY: '100',
      GLIMPSE_IMAGE_CACHE_DIR: caches,
      GLIMPSE_CACHE_NODE_NAME: 'traced',
      GLIMPSE_CACHE_HEARTBEAT_INTERVAL: '1',
    });
  }, 60000);

  afterAll(async () => {
    await glimpse?.stop();
    await receiver?.close();
    rmSync(caches, { recursive: true, force: true });
  });

  it('carries the PUT /v2/cache traceparent into the job and its store read', async () => {
    const http = api(glimpse.url);
    const id = (await http.post('/v2/images', { disk_format: 'raw', container_format: 'bare' })).json().id as string;
    expect((await upload(glimpse.url, id, randomBytes(64 * 1024), null)).status).toBe(204);
    await eventually(async () => (await http.get('/v2/cache')).status, (status) => status === 200);
    const traceId = randomBytes(16).toString('hex');
    const queued = await fetch(`${glimpse.url}/v2/cache/${id}`, { method: 'PUT', headers: { traceparent: `00-${traceId}-${randomBytes(8).toString('hex')}-01` } });
    expect(queued.status).toBe(202);
    const spans = await spansOf(receiver.spans, traceId, ['glimpse.cache.control.traced.queue.v1 process', 'prefetch.traced job', 'store.get']);
    const job = spans.find((s) => s.name === 'prefetch.traced job');
    expect(job?.service).toBe('glimpse-cache-agent');
    expect(spans.find((s) => s.name === 'glimpse.cache.control.traced.queue.v1 process')?.service).toBe('glimpse-cache-agent');
    const read = spans.find((s) => s.name === 'store.get');
    expect(read?.service).toBe('glimpse-cache-agent');
    expect(spans.some((s) => s.service === 'glimpse-api' && s.name.startsWith('PUT'))).toBe(true);
  });
});
