import { Injectable } from '@nestjs/common';
import { BusClient } from '@glimpse/bus';
import type { ImageEvent, ImageEventMap, ImageRecord } from '@glimpse/contracts';

/** Publishes a domain event about an image, after the change is committed. */
@Injectable()
export class ImageEventPublisher {
  constructor(private readonly bus: BusClient) {}

  publish<S extends keyof ImageEventMap & string>(subject: S, image: ImageRecord): void {
    const event: ImageEvent = { imageId: image.id, owner: image.owner, status: image.status, size: image.size, at: new Date().toISOString() };
    this.bus.emit<ImageEventMap[S]>(subject, event);
  }
}
