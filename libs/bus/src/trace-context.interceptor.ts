import { type CallHandler, type ExecutionContext, Injectable, type NestInterceptor } from '@nestjs/common';
import { SpanKind, SpanStatusCode, context, trace } from '@opentelemetry/api';
import { Observable } from 'rxjs';
import { contextFromHeaders } from './trace-headers';

interface HeaderCarrier {
  getSubject?(): string;
  getHeaders?(): { get(key: string): string | undefined } | undefined;
}

/**
 * Runs every bus handler inside the trace its message carries, in a span named for the subject,
 * so one HTTP request is one trace across processes. Registered once per app, not per handler.
 */
@Injectable()
export class TraceContextInterceptor implements NestInterceptor {
  private readonly tracer = trace.getTracer('glimpse-bus');

  intercept(execution: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (execution.getType() !== 'rpc') return next.handle();
    const carrier = execution.switchToRpc().getContext<HeaderCarrier>();
    const subject = carrier.getSubject?.() ?? 'unknown';
    // Named by the contract's subject, whatever bus_namespace the deployment uses.
    const canonical = subject.replace(/^[^.]+\./, 'glimpse.');
    const parent = contextFromHeaders(carrier.getHeaders?.());
    const span = this.tracer.startSpan(
      `${canonical} process`,
      { kind: SpanKind.SERVER, attributes: { 'messaging.system': 'nats', 'messaging.destination.name': subject, ...imageOf(execution.switchToRpc().getData()) } },
      parent,
    );
    const active = trace.setSpan(parent, span);
    return new Observable((subscriber) =>
      context.with(active, () =>
        next.handle().subscribe({
          next: (value) => subscriber.next(value),
          error: (error: unknown) => {
            span.setStatus({ code: SpanStatusCode.ERROR, message: String((error as Error)?.message ?? error) });
            span.end();
            subscriber.error(error);
          },
          complete: () => {
            span.end();
            subscriber.complete();
          },
        }),
      ),
    );
  }
}

/** The image a message is about, when its payload names one (`id` or `imageId`). */
function imageOf(payload: unknown): Record<string, string> {
  if (typeof payload !== 'object' || payload === null) return {};
  const { id, imageId } = payload as { id?: unknown; imageId?: unknown };
  const image = typeof imageId === 'string' ? imageId : id;
  return typeof image === 'string' ? { 'glimpse.image.id': image } : {};
}
