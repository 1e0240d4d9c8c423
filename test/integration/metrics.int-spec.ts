import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type RunningGlimpse, freePort, startGlimpse } from '../support/glimpse';
import { eventually } from '../support/eventually';
import { api, upload } from '../support/http';

/** Prometheus text format: the value of one series, by name and exact labels (0 when absent). */
function sample(text: string, name: string, labels: Record<string, string> = {}): number {
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (.+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const have = Object.fromEntries([...(match[2] ?? '').matchAll(/([a-zA-Z_]+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
    if (Object.keys(have).length === Object.keys(labels).length && Object.entries(labels).every(([k, v]) => have[k] === v)) return Number(match[3]);
  }
  return 0;
}

describe('GET /metrics after known traffic (embedded, with a cache agent)', () => {
  let glimpse: RunningGlimpse;
  let agent: string;
  const cacheDir = mkdtempSync(join(tmpdir(), 'glimpse-metrics-cache-'));

  beforeAll(async () => {
    const agentPort = await freePort();
    agent = `http://127.0.0.1:${agentPort}`;
    glimpse = await startGlimpse('embedded', {
      OTEL_SDK_DISABLED: 'false',
      GLIMPSE_CACHE_AGENT_PORT: String(agentPort),
      GLIMPSE_CACHE_NODE_NAME: 'metrics-node',
      GLIMPSE_IMAGE_CACHE_DIR: cacheDir,
    });
  });
  afterAll(async () => {
    await glimpse?.stop();
    rmSync(cacheDir, { recursive: true, force: true });
  });

  it('counts requests by route and status, image bytes through the store, bus requests, and cache hits and misses', async () => {
    const http = api(glimpse.url);
    const bytes = randomBytes(300 * 1024);
    const created = await http.post('/v2/images', { disk_format: 'raw', container_format: 'bare' });
    const id = created.json().id as string;
    expect((await upload(glimpse.url, id, bytes, null)).status).toBe(204);
    for (let i = 0; i < 3; i++) expect((await http.get('/v2/images')).status).toBe(200);
    expect((await http.get('/v2/images/00000000-0000-0000-0000-000000000000')).status).toBe(404);
    const viaAgent = async () => Buffer.from(await (await fetch(`${agent}/v2/images/${id}/file`)).arrayBuffer());
    expect((await viaAgent()).equals(bytes)).toBe(true);
    // The miss becomes a cached file once it is verified and in place; then the hit.
    for (let i = 0; i < 100 && !(await http.get('/v2/cache')).json().cached_images.length; i++) await new Promise((r) => setTimeout(r, 100));
    expect((await viaAgent()).equals(bytes)).toBe(true);

    const scraped = await fetch(`${glimpse.url}/metrics`);
    expect(scraped.status).toBe(200);
    expect(scraped.headers.get('content-type')).toContain('text/plain');
    await scraped.text();
    // A hit is counted once the agent has handed the file to the kernel, which may be just after
    // the client has read the last byte: scrape until the agent's bookkeeping is done.
    const text = await eventually(
      async () => (await fetch(`${glimpse.url}/metrics`)).text(),
      (body) => sample(body, 'glimpse_cache_hits_total', { node: 'metrics-node' }) > 0,
      5000,
    );
    expect(sample(text, 'glimpse_http_requests_total', { method: 'GET', route: '/v2/images', status: '200' })).toBe(3);
    expect(sample(text, 'glimpse_http_requests_total', { method: 'GET', route: '/v2/images/:id', status: '404' })).toBe(1);
    expect(sample(text, 'glimpse_http_requests_total', { method: 'PUT', route: '/v2/images/:id/file', status: '204' })).toBe(1);
    expect(sample(text, 'glimpse_http_request_duration_seconds_count', { method: 'GET', route: '/v2/images', status: '200' })).toBe(3);
    expect(sample(text, 'glimpse_store_bytes_total', { store: 'file', direction: 'in' })).toBe(bytes.length);
    // the agent's one origin read, and the upload's format inspection reading back its first 64 KiB
    expect(sample(text, 'glimpse_store_bytes_total', { store: 'file', direction: 'out' })).toBe(bytes.length + 64 * 1024);
    expect(sample(text, 'glimpse_cache_hits_total', { node: 'metrics-node' })).toBe(1);
    expect(sample(text, 'glimpse_cache_misses_total', { node: 'metrics-node' })).toBe(1);
    expect(sample(text, 'glimpse_cache_origin_reads_total', { node: 'metrics-node' })).toBe(1);
    expect(sample(text, 'glimpse_cache_served_bytes_total', { node: 'metrics-node', source: 'cache' })).toBe(bytes.length);
    expect(sample(text, 'glimpse_cache_size_bytes', { node: 'metrics-node' })).toBe(bytes.length);
    expect(sample(text, 'glimpse_cache_limit_bytes', { node: 'metrics-node' })).toBe(10 * 1024 ** 3);
    expect(sample(text, 'glimpse_bus_request_duration_seconds_count', { subject: 'glimpse.registry.image.create.v1', outcome: 'ok' })).toBe(1);
    expect(sample(text, 'glimpse_bus_request_duration_seconds_count', { subject: 'glimpse.registry.image.get.v1', outcome: 'not_found' })).toBe(1);
    // The agent's port serves the same process's numbers.
    expect(sample(await (await fetch(`${agent}/metrics`)).text(), 'glimpse_cache_hits_total', { node: 'metrics-node' })).toBe(1);
  });
});
