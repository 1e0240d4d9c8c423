import { trace } from '@opentelemetry/api';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { FilesystemStore } from './filesystem.store';
import { StoreBackend, redacted } from './store-backend';

const spans = new InMemorySpanExporter();
let dir: string;
let backend: StoreBackend;
const options = { hashAlgo: 'sha512', maxSize: 1 << 20 } as const;

beforeAll(async () => {
  trace.setGlobalTracerProvider(new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(spans)] }));
  dir = mkdtempSync(join(tmpdir(), 'glimpse-backend-'));
  const driver = new FilesystemStore(dir);
  await driver.prepare();
  backend = new StoreBackend(driver, { id: 'fast', description: 'Local disk', weight: 3, maxConcurrency: 1 });
});
afterAll(() => {
  trace.disable();
  rmSync(dir, { recursive: true, force: true });
});
beforeEach(() => spans.reset());

describe('StoreBackend', () => {
  it('traces each operation with the store it ran on and the bytes it moved', async () => {
    const stored = await backend.add('img', Readable.from([Buffer.from('twelve bytes')]), options);
    expect(await backend.size(stored.location)).toBe(12);
    const data = await backend.get(stored.location, { start: 0, end: 5 });
    for await (const chunk of data.stream) void chunk;
    await new Promise((resolve) => setImmediate(resolve));
    expect(spans.getFinishedSpans().map((s) => [s.name, s.attributes['glimpse.store.id'], s.attributes['glimpse.store.bytes']])).toEqual([
      ['store.add', 'fast', 12],
      ['store.size', 'fast', undefined],
      ['store.get', 'fast', 6],
    ]);
  });

  it('refuses a location of another store before the driver sees it, and records failures', async () => {
    await expect(backend.get('file:///etc/passwd')).rejects.toEqual(expect.objectContaining({ failure: 'invalid_location' }));
    await expect(backend.delete(`file://${dir}/absent`)).rejects.toEqual(expect.objectContaining({ failure: 'not_found' }));
    const [failed] = spans.getFinishedSpans();
    expect([failed.name, failed.status.code, failed.events[0]?.name]).toEqual(['store.delete', 2, 'exception']);
  });

  it('holds its concurrency slot for a read until the stream is closed', async () => {
    const stored = await backend.add('held', Readable.from([Buffer.alloc(1000)]), options);
    const reading = await backend.get(stored.location);
    let sized = false;
    const size = backend.size(stored.location).then(() => (sized = true));
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(sized).toBe(false);
    reading.stream.destroy();
    await size;
    expect(sized).toBe(true);
  });

  it('names its id, type, description and weight, and redacts credentials from locations', () => {
    expect([backend.id, backend.type, backend.description, backend.weight]).toEqual(['fast', 'file', 'Local disk', 3]);
    expect(redacted('swift+https://user:key@auth.example/v3/glance/x')).toBe('swift+https://auth.example/v3/glance/x');
    expect(redacted('file:///a@b')).toBe('file:///a@b');
  });
});
