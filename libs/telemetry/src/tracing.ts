import type { TelemetrySettings } from '@glimpse/config';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { NodeSDK } from '@opentelemetry/sdk-node';
import { BatchSpanProcessor, type SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { startMetrics } from './metrics';

const STARTED = Symbol.for('glimpse.telemetry.sdk');

interface Holder {
  [STARTED]?: NodeSDK;
}

export interface TelemetryOptions {
  service: string;
  settings: TelemetrySettings;
  /** Extra processors, e.g. an in-memory exporter in tests. */
  spanProcessors?: SpanProcessor[];
}

/**
 * Starts the OpenTelemetry SDK once per process (embedded mode runs five apps in one).
 * Context propagation always works; spans leave the process only when an OTLP endpoint is set.
 * Must run before express and http are loaded so that incoming requests get server spans.
 */
export function startTelemetry(options: TelemetryOptions): void {
  const holder = globalThis as Holder;
  if (holder[STARTED] || options.settings.disabled) return;
  startMetrics();
  const processors: SpanProcessor[] = [...(options.spanProcessors ?? [])];
  if (options.settings.otlpEndpoint) processors.push(new BatchSpanProcessor(new OTLPTraceExporter()));
  const sdk = new NodeSDK({
    resource: resourceFromAttributes({ 'service.name': `glimpse-${options.service}` }),
    spanProcessors: processors,
    instrumentations: [
      new HttpInstrumentation({
        ignoreIncomingRequestHook: (req) => req.url === '/healthcheck',
      }),
    ],
    metricReaders: [],
    logRecordProcessors: [],
  });
  sdk.start();
  holder[STARTED] = sdk;
}

export async function stopTelemetry(): Promise<void> {
  const holder = globalThis as Holder;
  const sdk = holder[STARTED];
  delete holder[STARTED];
  await sdk?.shutdown().catch(() => undefined);
}

