import { GlimpseError, isErrorPayload } from '@glimpse/contracts';
import type { ClientProxy } from '@nestjs/microservices';
import { NatsRecordBuilder } from '@nestjs/microservices';
import { SpanKind, SpanStatusCode, context, metrics, trace } from '@opentelemetry/api';
import * as nats from 'nats';
import { lastValueFrom, timeout } from 'rxjs';
import type { InProcessRecord } from './in-process.transport';
import { namespaced } from './namespace';
import { currentTraceHeaders } from './trace-headers';

export type BusTransport = 'in-process' | 'nats';

const requestDuration = metrics.getMeter('glimpse-bus').createHistogram('glimpse.bus.request.duration.seconds', {
  description: 'Time from a request on the bus to its reply, by subject and outcome',
  unit: 's',
  advice: { explicitBucketBoundaries: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] },
});

/**
 * The typed face of the bus for application code: request-reply checked against a contract map,
 * events, trace context injected into every message, and replies' errors turned back into
 * GlimpseErrors. Image bytes never travel here.
 */
export class BusClient {
  private readonly tracer = trace.getTracer('glimpse-bus');

  constructor(
    private readonly proxy: ClientProxy,
    private readonly transport: BusTransport,
    private readonly timeoutMs: number,
    private readonly namespace = 'glimpse',
  ) {}

  /** Callers pin Req and Rep from a contract map (see RegistryClient). */
  async request<Req, Rep>(subject: string, data: Req): Promise<Rep> {
    const span = this.tracer.startSpan(`${subject} send`, {
      kind: SpanKind.CLIENT,
      attributes: { 'messaging.system': 'nats', 'messaging.destination.name': subject },
    });
    const active = trace.setSpan(context.active(), span);
    const started = process.hrtime.bigint();
    let outcome = 'ok';
    try {
      const reply$ = this.proxy.send<Rep>(this.wire(subject), this.record(data, currentTraceHeaders(active)));
      return await lastValueFrom(reply$.pipe(timeout(this.timeoutMs)));
    } catch (error) {
      span.setStatus({ code: SpanStatusCode.ERROR });
      const failure = toGlimpseError(subject, error);
      outcome = failure.code;
      throw failure;
    } finally {
      span.end();
      requestDuration.record(Number(process.hrtime.bigint() - started) / 1e9, { subject, outcome });
    }
  }

  emit<Event>(subject: string, data: Event): void {
    this.proxy.emit(this.wire(subject), this.record(data, currentTraceHeaders())).subscribe({ error: () => undefined });
  }

  private wire(subject: string): string {
    return this.transport === 'nats' ? namespaced(subject, this.namespace) : subject;
  }

  private record(data: unknown, headers: Record<string, string>): unknown {
    if (this.transport === 'in-process') return { data, headers } satisfies InProcessRecord;
    const natsHeaders = nats.headers();
    for (const [key, value] of Object.entries(headers)) natsHeaders.set(key, value);
    return new NatsRecordBuilder(data).setHeaders(natsHeaders).build();
  }
}

function toGlimpseError(subject: string, error: unknown): GlimpseError {
  if (isErrorPayload(error)) return GlimpseError.fromPayload(error);
  const reason = error instanceof Error ? error.message : JSON.stringify(error);
  return new GlimpseError('unavailable', `No answer on ${subject}: ${reason}`);
}
