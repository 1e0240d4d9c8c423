import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eventually } from '../support/eventually';
import { api, upload } from '../support/http';
import { type Mode, type RunningGlimpse, startGlimpse } from '../support/glimpse';
import { type ReceivedSpan, startOtlpReceiver } from '../support/otlp-receiver';

type Receiver = Awaited<ReturnType<typeof startOtlpReceiver>>;

async function spansOf(spans: ReceivedSpan[], traceId: string, names: string[]): Promise<ReceivedSpan[]> {
  for (let i = 0; i < 100; i++) {
    const mine = spans.filter((s) => s.traceId === traceId);
    if (names.every((n) => mine.some((s) => s.name === n))) return mine;
    await new Promise((r) => setTimeout(r, 100));
  }
  return spans.filter((s) => s.traceId === traceId);
}

function named(spans: ReceivedSpan[], name: string): ReceivedSpan {
  const span = spans.find((s) => s.name === name);
  if (!span) throw new Error(`no span ${name} in the trace: ${spans.map((s) => `${s.service}:${s.name}`).join(', ')}`);
  return span;
}

/** Every span of the trace reaches the root through its parents: one tree, not fragments. */
function expectOneTree(spans: ReceivedSpan[]): void {
  const ids = new Set(spans.map((s) => s.spanId));
  const orphans = spans.filter((s) => s.parentSpanId !== '' && !ids.has(s.parentSpanId));
  // The only parent outside the trace's spans is the caller's own (the traceparent we sent).
  expect(new Set(orphans.map((s) => s.parentSpanId)).size).toBe(1);
}

function traceparent(): { traceId: string; header: string } {
  const traceId = randomBytes(16).toString('hex');
  return { traceId, header: `00-${traceId}-${randomBytes(8).toString('hex')}-01` };
}

function traced(receiver: Receiver, env: Record<string, string> = {}): Record<string, string> {
  return { OTEL_SDK_DISABLED: 'false', OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_BSP_SCHEDULE_DELAY: '100', ...env };
}

async function activeImage(glimpse: RunningGlimpse, bytes: Buffer): Promise<string> {
  const id = (await api(glimpse.url).post('/v2/images', { disk_format: 'raw', container_format: 'bare' })).json().id as string;
  expect((await upload(glimpse.url, id, bytes, null)).status).toBe(204);
  return id;
}

describe.each<Mode>(['embedded', 'cluster'])('one HTTP request is one trace across api, registry and store (%s)', (mode) => {
  let receiver: Receiver;
  let glimpse: RunningGlimpse;
  const registry = mode === 'embedded' ? 'glimpse-api' : 'glimpse-registry';

  beforeAll(async () => {
    receiver = await startOtlpReceiver();
    glimpse = await startGlimpse(mode, traced(receiver));
  }, 60000);

  afterAll(async () => {
    await glimpse?.stop();
    await receiver?.close();
  });

  it('carries the caller traceparent through the bus into the registry span', async () => {
    const { traceId, header } = traceparent();
    const res = await fetch(`${glimpse.url}/v2/images`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', traceparent: header },
      body: JSON.stringify({ name: 'traced' }),
    });
    expect(res.status).toBe(201);
    const subject = 'glimpse.registry.image.create.v1';
    const spans = await spansOf(receiver.spans, traceId, [`${subject} send`, `${subject} process`]);
    const send = named(spans, `${subject} send`);
    const processed = named(spans, `${subject} process`);
    expect(send.service).toBe('glimpse-api');
    expect(processed.service).toBe(registry);
    expect(processed.parentSpanId).toBe(send.spanId);
    const server = named(spans, 'POST /v2/images');
    expect(server.spanId).toBe(send.parentSpanId);
    expect(server.attributes['http.route']).toBe('/v2/images');
  });

  it('makes an upload one trace, its spans naming the image, its size and its store', async () => {
    const id = (await api(glimpse.url).post('/v2/images', { disk_format: 'raw', container_format: 'bare' })).json().id as string;
    const { traceId, header } = traceparent();
    const bytes = randomBytes(300 * 1024);
    expect((await upload(glimpse.url, id, bytes, null, { headers: { traceparent: header } })).status).toBe(204);
    const transition = 'glimpse.registry.image.transition.v1 process';
    const spans = await spansOf(receiver.spans, traceId, ['PUT /v2/images/:id/file', 'store.add', transition]);
    const server = named(spans, 'PUT /v2/images/:id/file');
    expect(server.service).toBe('glimpse-api');
    expect(server.attributes).toMatchObject({ 'glimpse.image.id': id, 'glimpse.image.size': bytes.length, 'glimpse.store.id': expect.any(String) });
    expect(named(spans, 'store.add').attributes).toMatchObject({ 'glimpse.image.id': id, 'glimpse.store.type': 'file', 'glimpse.store.bytes': bytes.length });
    const transitions = spans.filter((s) => s.name === transition);
    expect(transitions.length).toBeGreaterThanOrEqual(2); // queued → saving, saving → active
    for (const span of transitions) expect(span).toMatchObject({ service: registry, attributes: { 'glimpse.image.id': id } });
    expectOneTree(spans);
  });
});

describe('a download through an agent, a prefetch and a scrub are each one trace (cluster)', () => {
  let receiver: Receiver;
  let glimpse: RunningGlimpse;
  const caches = mkdtempSync(join(tmpdir(), 'glimpse-traced-cache-'));

  beforeAll(async () => {
    receiver = await startOtlpReceiver();
    glimpse = await startGlimpse(
      'cluster',
      traced(receiver, {
        GLIMPSE_IMAGE_CACHE_DIR: caches,
        GLIMPSE_CACHE_NODE_NAME: 'traced',
        GLIMPSE_CACHE_HEARTBEAT_INTERVAL: '1',
        // Deletes are delayed and scrubbed from the queue at once; the scan sleeps for an hour.
        GLIMPSE_DELAYED_DELETE: 'true',
        GLIMPSE_SCRUB_TIME: '0',
        GLIMPSE_WAKEUP_TIME: '3600',
      }),
    );
  }, 60000);

  afterAll(async () => {
    await glimpse?.stop();
    await receiver?.close();
    rmSync(caches, { recursive: true, force: true });
  });

  it('carries the PUT /v2/cache traceparent into the job and its store read', async () => {
    const http = api(glimpse.url);
    const id = await activeImage(glimpse, randomBytes(64 * 1024));
    await eventually(async () => (await http.get('/v2/cache')).status, (status) => status === 200);
    const { traceId, header } = traceparent();
    const queued = await fetch(`${glimpse.url}/v2/cache/${id}`, { method: 'PUT', headers: { traceparent: header } });
    expect(queued.status).toBe(202);
    const spans = await spansOf(receiver.spans, traceId, ['glimpse.cache.control.traced.queue.v1 process', 'prefetch.traced job', 'store.get']);
    const job = named(spans, 'prefetch.traced job');
    expect(job.service).toBe('glimpse-cache-agent');
    expect(job.attributes).toMatchObject({ 'glimpse.image.id': id, 'glimpse.image.size': 64 * 1024, 'glimpse.cache.node': 'traced', 'messaging.system': 'nats' });
    expect(named(spans, 'glimpse.cache.control.traced.queue.v1 process').service).toBe('glimpse-cache-agent');
    const read = named(spans, 'store.get');
    expect(read.service).toBe('glimpse-cache-agent');
    expect(read.parentSpanId).toBe(job.spanId);
    expect(named(spans, 'PUT /v2/cache/:id').service).toBe('glimpse-api');
    expectOneTree(spans);
  });

  it('makes a download through the agent one trace: agent, registry and store', async () => {
    const bytes = randomBytes(200 * 1024);
    const id = await activeImage(glimpse, bytes);
    const { traceId, header } = traceparent();
    const res = await fetch(`http://127.0.0.1:${glimpse.env.GLIMPSE_CACHE_AGENT_PORT}/v2/images/${id}/file`, { headers: { traceparent: header } });
    expect(Buffer.from(await res.arrayBuffer()).equals(bytes)).toBe(true);
    const spans = await spansOf(receiver.spans, traceId, ['GET /v2/images/:id/file', 'glimpse.registry.image.get.v1 process', 'store.get']);
    const server = named(spans, 'GET /v2/images/:id/file');
    expect(server.service).toBe('glimpse-cache-agent');
    expect(server.attributes).toMatchObject({ 'glimpse.image.id': id, 'glimpse.image.size': bytes.length, 'glimpse.cache.node': 'traced', 'glimpse.cache.result': 'fill' });
    expect(named(spans, 'glimpse.registry.image.get.v1 process')).toMatchObject({ service: 'glimpse-registry', attributes: { 'glimpse.image.id': id } });
    expect(named(spans, 'store.get').service).toBe('glimpse-cache-agent');
    expectOneTree(spans);

    const again = traceparent();
    await (await fetch(`http://127.0.0.1:${glimpse.env.GLIMPSE_CACHE_AGENT_PORT}/v2/images/${id}/file`, { headers: { traceparent: again.header } })).arrayBuffer();
    const hit = named(await spansOf(receiver.spans, again.traceId, ['GET /v2/images/:id/file']), 'GET /v2/images/:id/file');
    expect(hit.attributes['glimpse.cache.result']).toBe('hit');
  });

  it('makes a delete and its scrub one trace, from the API through the registry’s queue to the scrubber’s store delete', async () => {
    const id = await activeImage(glimpse, randomBytes(4096));
    const { traceId, header } = traceparent();
    expect((await fetch(`${glimpse.url}/v2/images/${id}`, { method: 'DELETE', headers: { traceparent: header } })).status).toBe(204);
    const spans = await spansOf(receiver.spans, traceId, ['DELETE /v2/images/:id', 'glimpse.registry.image.delete.v1 process', 'scrub job', 'store.delete']);
    expect(named(spans, 'DELETE /v2/images/:id').attributes['glimpse.image.id']).toBe(id);
    const job = named(spans, 'scrub job');
    expect(job).toMatchObject({ service: 'glimpse-scrubber', attributes: { 'glimpse.image.id': id, 'glimpse.job.queue': 'scrub' } });
    expect(named(spans, 'store.delete')).toMatchObject({ service: 'glimpse-scrubber', attributes: { 'glimpse.store.type': 'file' } });
    expectOneTree(spans);
  });
});

describe('a prefetch through the in-process queue is one trace (embedded)', () => {
  let receiver: Receiver;
  let glimpse: RunningGlimpse;
  const caches = mkdtempSync(join(tmpdir(), 'glimpse-traced-cache-'));

  beforeAll(async () => {
    receiver = await startOtlpReceiver();
    glimpse = await startGlimpse('embedded', traced(receiver, { GLIMPSE_IMAGE_CACHE_DIR: caches, GLIMPSE_CACHE_NODE_NAME: 'local' }));
  }, 60000);

  afterAll(async () => {
    await glimpse?.stop();
    await receiver?.close();
    rmSync(caches, { recursive: true, force: true });
  });

  it('runs the job inside the trace of the PUT /v2/cache that queued it', async () => {
    const id = await activeImage(glimpse, randomBytes(32 * 1024));
    const { traceId, header } = traceparent();
    expect((await fetch(`${glimpse.url}/v2/cache/${id}`, { method: 'PUT', headers: { traceparent: header } })).status).toBe(202);
    const spans = await spansOf(receiver.spans, traceId, ['PUT /v2/cache/:id', 'prefetch.local job', 'store.get']);
    const job = named(spans, 'prefetch.local job');
    expect(job.attributes).toMatchObject({ 'messaging.system': 'in-process', 'glimpse.image.id': id, 'glimpse.cache.node': 'local' });
    expect(named(spans, 'store.get').parentSpanId).toBe(job.spanId);
    expectOneTree(spans);
  });
});
