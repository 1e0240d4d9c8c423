import { Controller, Get, Head, Header, Inject, Optional, Res, type Type } from '@nestjs/common';
import { MessagePattern } from '@nestjs/microservices';
import { type HealthReply, type ServiceName, healthSubject } from '@glimpse/contracts';
import type { Response } from 'express';
import { BusClient } from './bus.client';

/** What an app needs besides the bus before it should take traffic (the registry: its database). */
export interface ReadinessCheck {
  name: string;
  check(): Promise<void>;
}

export const READINESS_CHECKS = Symbol('READINESS_CHECKS');

/** A readiness probe answers within this, whatever hangs behind it. */
const READY_TIMEOUT_MS = 2000;

function within<T>(ms: number, work: Promise<T>): Promise<T> {
  return Promise.race([work, new Promise<T>((_, reject) => setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms).unref())]);
}

/**
 * GET /healthcheck (liveness: Glance's "OK"), GET /healthcheck/ready (readiness: 503 while the
 * bus, or what the app adds, cannot be reached), and the service's health subject on the bus.
 */
export function healthController(service: ServiceName): Type<unknown> {
  @Controller()
  class HealthController {
    constructor(
      private readonly bus: BusClient,
      @Optional() @Inject(READINESS_CHECKS) private readonly checks: ReadinessCheck[] = [],
    ) {}

    @Get('healthcheck')
    @Header('Content-Type', 'text/plain; charset=UTF-8')
    check(): string {
      return 'OK';
    }

    @Head('healthcheck')
    checkHead(): void {
      // Same status as GET, no body.
    }

    @Get('healthcheck/ready')
    async ready(@Res() res: Response): Promise<void> {
      // A round trip through the bus to this service itself: NATS is reachable and we are subscribed.
      const all: ReadinessCheck[] = [{ name: 'bus', check: () => this.bus.request(healthSubject(service), {}).then(() => undefined) }, ...this.checks];
      const results = await Promise.all(all.map((c) => within(READY_TIMEOUT_MS, c.check()).then(() => null, (error: Error) => `${c.name}: ${error.message}`)));
      const problems = results.filter((problem): problem is string => problem !== null);
      res.status(problems.length === 0 ? 200 : 503).json({ service, status: problems.length === 0 ? 'ready' : 'not ready', problems });
    }

    @MessagePattern(healthSubject(service))
    onBus(): HealthReply {
      return { service, status: 'ok', pid: process.pid, uptimeSeconds: Math.round(process.uptime()) };
    }
  }
  return HealthController;
}
