import { type CallHandler, type ExecutionContext, Injectable, type NestInterceptor } from '@nestjs/common';
import { trace } from '@opentelemetry/api';
import type { Request } from 'express';
import type { Observable } from 'rxjs';

/**
 * Names the HTTP server span for its route (`PUT /v2/images/:id/file`, not just `PUT`) and tags
 * it with the image it is about, so that a trace reads as what it did. Runs once the router has
 * matched, which middleware cannot see.
 */
@Injectable()
export class RouteSpanInterceptor implements NestInterceptor {
  intercept(ctx: ExecutionContext, next: CallHandler): Observable<unknown> {
    const span = trace.getActiveSpan();
    if (span && ctx.getType() === 'http') {
      const req = ctx.switchToHttp().getRequest<Request>();
      const path = (req.route as { path?: string } | undefined)?.path;
      if (path) {
        const route = `${req.baseUrl}${path}`;
        span.updateName(`${req.method} ${route}`);
        span.setAttribute('http.route', route);
      }
      const imageId = req.params?.id ?? req.params?.image_id;
      if (typeof imageId === 'string') span.setAttribute('glimpse.image.id', imageId);
    }
    return next.handle();
  }
}
