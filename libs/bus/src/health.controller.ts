import { Controller, Get, Head, Header, type Type } from '@nestjs/common';
import { MessagePattern } from '@nestjs/microservices';
import { type HealthReply, type ServiceName, healthSubject } from '@glimpse/contracts';

/** GET /healthcheck (Glance's "OK") and the service's health subject on the bus. */
export function healthController(service: ServiceName): Type<unknown> {
  @Controller()
  class HealthController {
    @Get('healthcheck')
    @Header('Content-Type', 'text/plain; charset=UTF-8')
    check(): string {
      return 'OK';
    }

    @Head('healthcheck')
    checkHead(): void {
      // Same status as GET, no body.
    }

    @MessagePattern(healthSubject(service))
    onBus(): HealthReply {
      return { service, status: 'ok', pid: process.pid, uptimeSeconds: Math.round(process.uptime()) };
    }
  }
  return HealthController;
}
