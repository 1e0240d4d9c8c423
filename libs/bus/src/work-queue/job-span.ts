import { type Context, SpanKind, SpanStatusCode, context, trace } from '@opentelemetry/api';
import type { JobDeferral, JobHandler, QueuedJob } from './work-queue';
import { asError } from './work-queue';

const tracer = trace.getTracer('glimpse-bus');

/**
 * Runs one attempt of a job inside a `<queue> job` span whose parent is the trace that queued it
 * (a PUT /v2/cache, a DELETE), so that the handler's store calls land in that trace.
 */
export async function runInJobSpan<T>(
  queue: string,
  job: QueuedJob<T>,
  system: 'nats' | 'in-process',
  parent: Context,
  handler: JobHandler<T>,
): Promise<void | JobDeferral> {
  const span = tracer.startSpan(
    `${queue} job`,
    { kind: SpanKind.CONSUMER, attributes: { 'messaging.system': system, 'glimpse.job.queue': queue, 'glimpse.job.key': job.key, 'glimpse.job.attempt': job.attempt } },
    parent,
  );
  try {
    return await context.with(trace.setSpan(parent, span), () => handler(job));
  } catch (failure) {
    span.setStatus({ code: SpanStatusCode.ERROR, message: asError(failure).message });
    throw failure;
  } finally {
    span.end();
  }
}
