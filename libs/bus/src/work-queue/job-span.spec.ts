import { context, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InProcessWorkQueue } from './in-process.work-queue';

const spans = new InMemorySpanExporter();
const options = { durable: 'spec', concurrency: 1, backoffMs: [10], maxAttempts: 2 };
let dir: string;

beforeAll(() => {
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  trace.setGlobalTracerProvider(new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(spans)] }));
  dir = mkdtempSync(join(tmpdir(), 'glimpse-job-span-'));
});
afterAll(() => {
  trace.disable();
  propagation.disable();
  context.disable();
  rmSync(dir, { recursive: true, force: true });
});
beforeEach(() => spans.reset());

const finished = (name: string) => spans.getFinishedSpans().filter((s) => s.name === name);

async function until(check: () => boolean): Promise<void> {
  for (let i = 0; i < 100 && !check(); i++) await new Promise((r) => setTimeout(r, 10));
}

describe('jobs of the in-process queue run in the trace that queued them', () => {
  it('keeps the trace across a restart, in the job span, with the handler’s spans inside it', async () => {
    const file = join(dir, 'traced.sqlite');
    const tracer = trace.getTracer('spec');
    const first = new InProcessWorkQueue<{ n: number }>(file);
    const request = tracer.startSpan('PUT /v2/cache/:id');
    await context.with(trace.setSpan(context.active(), request), () => first.enqueue('prefetch.node-a', 'img', { n: 1 }));
    request.end();
    await first.close();

    const second = new InProcessWorkQueue<{ n: number }>(file);
    await second.consume('prefetch.node-a', async () => tracer.startSpan('store.get').end(), options);
    await until(() => finished('store.get').length === 1);
    await second.close();

    const [job] = finished('prefetch.node-a job');
    expect(job.spanContext().traceId).toBe(request.spanContext().traceId);
    expect(job.parentSpanContext?.spanId).toBe(request.spanContext().spanId);
    expect(job.attributes).toMatchObject({ 'messaging.system': 'in-process', 'glimpse.job.key': 'img', 'glimpse.job.attempt': 1 });
    expect(finished('store.get')[0].parentSpanContext?.spanId).toBe(job.spanContext().spanId);
  });

  it('marks a failed attempt on its span', async () => {
    const queue = new InProcessWorkQueue<{ n: number }>();
    await queue.enqueue('scrub', 'x', { n: 1 });
    await queue.consume('scrub', () => Promise.reject(new Error('store down')), options);
    await until(() => finished('scrub job').length === 2);
    await queue.close();
    expect(finished('scrub job').map((s) => [s.status.code, s.status.message, s.attributes['glimpse.job.attempt']])).toEqual([
      [2, 'store down', 1],
      [2, 'store down', 2],
    ]);
  });

  it('opens a queue file written before jobs carried a trace', async () => {
    const file = join(dir, 'old.sqlite');
    const db = new Database(file);
    db.exec('CREATE TABLE jobs (seq INTEGER PRIMARY KEY AUTOINCREMENT, queue TEXT NOT NULL, key TEXT NOT NULL, data TEXT NOT NULL, attempt INTEGER NOT NULL, enqueued_at TEXT NOT NULL, not_before INTEGER NOT NULL, UNIQUE (queue, key))');
    db.prepare('INSERT INTO jobs (queue, key, data, attempt, enqueued_at, not_before) VALUES (?, ?, ?, 0, ?, 0)').run('scrub', 'old', '{"n":7}', new Date().toISOString());
    db.close();
    const queue = new InProcessWorkQueue<{ n: number }>(file);
    const seen: number[] = [];
    await queue.consume('scrub', async (job) => void seen.push(job.data.n), options);
    await until(() => seen.length === 1);
    await queue.close();
    expect(seen).toEqual([7]);
    expect(finished('scrub job')[0].parentSpanContext).toBeUndefined();
  });
});
