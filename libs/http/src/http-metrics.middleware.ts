import { Injectable, Logger, type NestMiddleware } from '@nestjs/common';
import { metrics, trace } from '@opentelemetry/api';
import { logsAt } from '@glimpse/telemetry';
import type { NextFunction, Request, Response } from 'express';

const meter = metrics.getMeter('glimpse-http');
const requests = meter.createCounter('glimpse.http.requests', { description: 'HTTP requests by method, route and status' });
const duration = meter.createHistogram('glimpse.http.request.duration.seconds', {
  description: 'Time from the request to the end of its response, by method, route and status',
  unit: 's',
  advice: { explicitBucketBoundaries: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300] },
});

/**
 * Counts every request and times it until its response is finished (a download: until the last
 * byte). The route is the matched pattern (`/v2/images/:id`), never the raw path, so that the
 * label set stays small.
 */
@Injectable()
export class HttpMetricsMiddleware implements NestMiddleware {
  private readonly logger = new Logger('HTTP');

  use(req: Request, res: Response, next: NextFunction): void {
    const started = process.hrtime.bigint();
    const traceId = trace.getActiveSpan()?.spanContext().traceId;
    res.once('close', () => {
      const route = (req.route as { path?: string } | undefined)?.path;
      const attributes = { method: req.method, route: route ? `${req.baseUrl}${route}` : 'unmatched', status: String(res.statusCode) };
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      requests.add(1, attributes);
      duration.record(seconds, attributes);
      // The access log, at debug level: one line per request is a cost on the list path.
      if (!logsAt('debug')) return;
      this.logger.debug({
        msg: `${req.method} ${req.originalUrl} ${res.statusCode}`,
        ...attributes,
        duration_ms: Math.round(seconds * 1e4) / 10,
        request_id: res.getHeader('x-openstack-request-id'),
        ...(traceId ? { trace_id: traceId } : {}),
      });
    });
    next();
  }
}
