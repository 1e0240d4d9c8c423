import { context, propagation, type Context } from '@opentelemetry/api';

/** W3C trace context of the active span, as message headers. */
export function currentTraceHeaders(active: Context = context.active()): Record<string, string> {
  const carrier: Record<string, string> = {};
  propagation.inject(active, carrier);
  return carrier;
}

/** The context a message's headers carry (NatsContext and InProcessContext both offer get()). */
export function contextFromHeaders(headers: { get(key: string): string | undefined } | undefined): Context {
  if (!headers) return context.active();
  return propagation.extract(context.active(), headers, {
    get: (carrier, key) => carrier.get(key) || undefined,
    keys: () => ['traceparent', 'tracestate', 'baggage'],
  });
}
