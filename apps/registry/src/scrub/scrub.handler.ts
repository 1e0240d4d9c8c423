import { Controller, UseFilters, UseInterceptors } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { type DueImage, type ScrubEvent, ScrubEvents, type ScrubRequestMap, ScrubSubjects } from '@glimpse/contracts';
import { BusClient, BusExceptionFilter, TraceContextInterceptor } from '@glimpse/bus';
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
    private readonly bus: BusClient,
  ) {}

  @MessagePattern(ScrubSubjects.due)
  async due(@Payload() request: Req<typeof ScrubSubjects.due>): Promise<{ images: DueImage[] }> {
    return { images: await this.scrub.due(request.scrubTimeSeconds, request.limit) };
  }

  @MessagePattern(ScrubSubjects.claim)
  claim(@Payload() request: Req<typeof ScrubSubjects.claim>): Promise<Rep<typeof ScrubSubjects.claim>> {
    return this.scrub.claim(request.imageId, request.scrubTimeSeconds, request.claimTimeoutMs);
  }

  /**
   * The registry announces the image scrubbed, not the scrubber: it commits the change, so the
   * event is not lost when a scrubber dies between the commit and its own publish.
   */
  @MessagePattern(ScrubSubjects.done)
  async done(@Payload() request: Req<typeof ScrubSubjects.done>): Promise<Rep<typeof ScrubSubjects.done>> {
    const status = await this.scrub.done(request.imageId, request.locationIds, request.releasedIds);
    if (status === 'deleted') this.bus.emit<ScrubEvent>(ScrubEvents.scrubbed, { imageId: request.imageId, at: new Date().toISOString() });
    return { imageId: request.imageId, status };
  }

  @MessagePattern(ScrubSubjects.restore)
  async restore(@Payload() request: Req<typeof ScrubSubjects.restore>): Promise<Rep<typeof ScrubSubjects.restore>> {
    await this.scrub.restore(request.imageId);
    await this.queue.cancel(request.imageId);
    return { imageId: request.imageId, status: 'active' };
  }
}
