import { metrics } from '@opentelemetry/api';
import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import type { IncomingMessage, ServerResponse } from 'node:http';

const EXPORTER = Symbol.for('glimpse.telemetry.prometheus');

interface Holder {
  [EXPORTER]?: PrometheusExporter;
}

/**
 * Metrics are pulled: every app with an HTTP port answers GET /metrics in Prometheus's text
 * format from the process's one meter provider (embedded mode's five apps share it). Instruments
 * are made with @opentelemetry/api wherever the thing they count happens.
 */
export function startMetrics(): void {
  const holder = globalThis as Holder;
  if (holder[EXPORTER]) return;
  const exporter = new PrometheusExporter({ preventServerStart: true, prefix: '', withoutScopeInfo: true });
  const provider = new MeterProvider({ readers: [exporter] });
  metrics.setGlobalMeterProvider(provider);
  holder[EXPORTER] = exporter;
}

/** GET /metrics: 404 when metrics are off in this process (OTEL_SDK_DISABLED). */
export function serveMetrics(request: IncomingMessage, response: ServerResponse): void {
  const exporter = (globalThis as Holder)[EXPORTER];
  if (!exporter) {
    response.statusCode = 404;
    response.end('metrics are disabled (OTEL_SDK_DISABLED)\n');
    return;
  }
  exporter.getMetricsRequestHandler(request, response);
}
