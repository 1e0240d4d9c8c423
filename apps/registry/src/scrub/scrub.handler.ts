import { Controller, UseFilters, UseInterceptors } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { type DueImage, type ScrubRequestMap, ScrubSubjects } from '@glimpse/contracts';
import { BusExceptionFilter, TraceContextInterceptor } from '@glimpse/bus';
import { ScrubCatalog } from './scrub-catalog';

type Req<S extends keyof ScrubRequestMap> = ScrubRequestMap[S][0];
type Rep<S extends keyof ScrubRequestMap> = ScrubRequestMap[S][1];

/** Answers the scrubber's subjects. */
@Controller()
@UseFilters(BusExceptionFilter)
@UseInterceptors(TraceContextInterceptor)
export class ScrubHandler {
  constructor(private readonly scrub: ScrubCatalog) {}

  @MessagePattern(ScrubSubjects.due)
  async due(@Payload() request: Req<typeof ScrubSubjects.due>): Promise<{ images: DueImage[] }> {
    return { images: await this.scrub.due(request.scrubTimeSeconds, request.limit) };
  }

  @MessagePattern(ScrubSubjects.done)
  async done(@Payload() request: Req<typeof ScrubSubjects.done>): Promise<Rep<typeof ScrubSubjects.done>> {
    return { imageId: request.imageId, status: await this.scrub.done(request.imageId, request.locationIds) };
  }

  @MessagePattern(ScrubSubjects.restore)
  async restore(@Payload() request: Req<typeof ScrubSubjects.restore>): Promise<Rep<typeof ScrubSubjects.restore>> {
    await this.scrub.restore(request.imageId);
    return { imageId: request.imageId, status: 'active' };
  }
}
