import { Controller, UseFilters, UseInterceptors } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { type DueImage, type ScrubRequestMap, ScrubSubjects } from '@glimpse/contracts';
import { BusExceptionFilter, TraceContextInterceptor } from '@glimpse/bus';
import { ScrubCatalog } from './scrub-catalog';
import { ScrubQueue } from './scrub-queue';

type Req<S extends keyof ScrubRequestMap> = ScrubRequestMap[S][0];
type Rep<S extends keyof ScrubRequestMap> = ScrubRequestMap[S][1];

/** Answers the scrubber's subjects. */
@Controller()
@UseFilters(BusExceptionFilter)
@UseInterceptors(TraceContextInterceptor)
export class ScrubHandler {
  constructor(
    private readonly scrub: ScrubCatalog,
    private readonly queue: ScrubQueue,
  ) {}

  @MessagePattern(ScrubSubjects.due)
  async due(@Payload() request: Req<typeof ScrubSubjects.due>): Promise<{ images: DueImage[] }> {
    return { images: await this.scrub.due(request.scrubTimeSeconds, request.limit) };
  }

  @MessagePattern(ScrubSubjects.claim)
  claim(@Payload() request: Req<typeof ScrubSubjects.claim>): Promise<Rep<typeof ScrubSubjects.claim>> {
    return this.scrub.claim(request.imageId, request.scrubTimeSeconds, request.claimTimeoutMs);
  }

  @MessagePattern(ScrubSubjects.done)
  async done(@Payload() request: Req<typeof ScrubSubjects.done>): Promise<Rep<typeof ScrubSubjects.done>> {
    return { imageId: request.imageId, status: await this.scrub.done(request.imageId, request.locationIds, request.releasedIds) };
  }

  @MessagePattern(ScrubSubjects.restore)
  async restore(@Payload() request: Req<typeof ScrubSubjects.restore>): Promise<Rep<typeof ScrubSubjects.restore>> {
    await this.scrub.restore(request.imageId);
    await this.queue.cancel(request.imageId);
    return { imageId: request.imageId, status: 'active' };
  }
}
