import { type Attributes, type Span, SpanStatusCode, metrics, trace } from '@opentelemetry/api';
import type { Readable } from 'node:stream';
import { ConcurrencyLimit } from './concurrency-limit';
import type { AddOptions, ByteRange, ImageData, StoreCapabilities, StoreDriver, StoreType, StoredImage } from './store.driver';
import { StoreError } from './store.errors';

export interface BackendSettings {
  /** The store id clients see (enabled_backends id, or the type in single-store mode). */
  id: string;
  description: string | null;
  weight: number;
  maxConcurrency: number;
}

const tracer = trace.getTracer('glimpse-stores');
const meter = metrics.getMeter('glimpse-stores');
const operations = meter.createCounter('glimpse.store.operations', { description: 'Store operations by store, operation and outcome' });
const transferred = meter.createCounter('glimpse.store.bytes', { description: 'Image bytes written to (in) and read from (out) a store', unit: 'By' });
const duration = meter.createHistogram('glimpse.store.duration.seconds', { description: 'Time a store operation took', unit: 's' });

/**
 * One enabled store as the apps use it: any driver, with tracing, metrics, location validation and
 * a cap on concurrent operations. A read holds its slot until its stream is closed.
 */
export class StoreBackend {
  private readonly limit: ConcurrencyLimit;

  constructor(
    readonly driver: StoreDriver,
    private readonly settings: BackendSettings,
  ) {
    this.limit = new ConcurrencyLimit(settings.maxConcurrency);
  }

  get id(): string {
    return this.settings.id;
  }

  get type(): StoreType {
    return this.driver.type;
  }

  get description(): string | null {
    return this.settings.description;
  }

  get weight(): number {
    return this.settings.weight;
  }

  get capabilities(): StoreCapabilities {
    return this.driver.capabilities;
  }

  owns(location: string): boolean {
    return this.driver.owns(location);
  }

  add(imageId: string, data: Readable, options: AddOptions): Promise<StoredImage> {
    if (!this.driver.capabilities.write) {
      return Promise.reject(new StoreError('add_disabled', `Store ${this.id} is read-only: adding images to it is disabled.`));
    }
    return this.run('add', { 'glimpse.image.id': imageId }, async (span) => {
      const stored = await this.driver.add(imageId, data, options);
      span.setAttribute('glimpse.store.bytes', stored.size);
      transferred.add(stored.size, { store: this.id, direction: 'in' });
      return stored;
    });
  }

  async get(location: string, range?: ByteRange): Promise<ImageData> {
    this.validate(location);
    const release = await this.limit.acquire();
    const started = performance.now();
    const span = tracer.startSpan('store.get', { attributes: { ...this.attributes(), 'glimpse.store.range': range ? `${range.start}-${range.end}` : 'all' } });
    try {
      const data = await this.driver.get(location, range);
      // Counting chunks would need a 'data' listener, which changes the stream's flow; a read that
      // ended sent exactly the range (or the object).
      const bytes = range ? range.end - range.start + 1 : data.size;
      data.stream.once('close', () => {
        const ended = data.stream.readableEnded;
        if (ended) transferred.add(bytes, { store: this.id, direction: 'out' });
        span.setAttribute('glimpse.store.bytes', ended ? bytes : 0);
        this.finish(span, 'get', ended ? 'ok' : 'aborted', started);
        release();
      });
      return data;
    } catch (error) {
      this.fail(span, 'get', error, started);
      release();
      throw error;
    }
  }

  delete(location: string): Promise<void> {
    this.validate(location);
    return this.run('delete', {}, () => this.driver.delete(location));
  }

  size(location: string): Promise<number> {
    this.validate(location);
    return this.run('size', {}, () => this.driver.size(location));
  }

  /** What an abandoned upload of the image left here (nothing to do in a read-only store). */
  purgeUpload(imageId: string): Promise<void> {
    if (!this.driver.capabilities.write) return Promise.resolve();
    return this.run('purge_upload', { 'glimpse.image.id': imageId }, () => this.driver.purgeUpload(imageId));
  }

  properties(): Record<string, unknown> {
    return this.driver.properties();
  }

  private validate(location: string): void {
    if (!this.driver.owns(location)) {
      throw new StoreError('invalid_location', `Location ${redacted(location)} does not belong to store ${this.id}.`);
    }
  }

  private async run<T>(operation: string, attributes: Attributes, work: (span: Span) => Promise<T>): Promise<T> {
    const release = await this.limit.acquire();
    const started = performance.now();
    return tracer.startActiveSpan(`store.${operation}`, { attributes: { ...this.attributes(), ...attributes } }, async (span) => {
      try {
        const result = await work(span);
        this.finish(span, operation, 'ok', started);
        return result;
      } catch (error) {
        this.fail(span, operation, error, started);
        throw error;
      } finally {
        release();
      }
    });
  }

  private attributes(): Attributes {
    return { 'glimpse.store.id': this.id, 'glimpse.store.type': this.type };
  }

  private finish(span: Span, operation: string, outcome: string, started: number): void {
    operations.add(1, { store: this.id, operation, outcome });
    duration.record((performance.now() - started) / 1000, { store: this.id, operation });
    span.end();
  }

  private fail(span: Span, operation: string, error: unknown, started: number): void {
    const failure = error instanceof StoreError ? error.failure : 'error';
    span.recordException(error as Error);
    span.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error)?.message });
    this.finish(span, operation, failure, started);
  }
}

/** A location as it may appear in logs and errors: without user:password@. */
export function redacted(location: string): string {
  return location.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/@]*@/i, '$1');
}
