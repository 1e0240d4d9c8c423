import { Controller, Get, UseFilters, UseInterceptors } from '@nestjs/common';
import { MessagePattern } from '@nestjs/microservices';
import { type ScrubStatus, ScrubSubjects } from '@glimpse/contracts';
import { BusExceptionFilter, TraceContextInterceptor } from '@glimpse/bus';
import { Scrubber } from './scrubber.service';

/** The daemon's backlog, failures and last pass: on the bus and as GET /status on its health port. */
@Controller()
@UseFilters(BusExceptionFilter)
@UseInterceptors(TraceContextInterceptor)
export class ScrubStatusController {
  constructor(private readonly scrubber: Scrubber) {}

  @MessagePattern(ScrubSubjects.status)
  onBus(): Promise<ScrubStatus> {
    return this.scrubber.status();
  }

  @Get('status')
  onHttp(): Promise<ScrubStatus> {
    return this.scrubber.status();
  }
}
