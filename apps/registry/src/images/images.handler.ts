import { Controller, UseFilters, UseInterceptors } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import {
  type CreateImageRequest,
  type DeleteImageReply,
  type DeleteImageRequest,
  type GetImageRequest,
  type ImageEvent,
  type ImageEventMap,
  ImageEvents,
  type ImageRecord,
  type ListImagesReply,
  type ListImagesRequest,
  type PurgeLocationsRequest,
  RegistrySubjects,
  type TagRequest,
  type TransitionImageRequest,
  type UpdateImageRequest,
  type UsageReply,
  type UsageRequest,
} from '@glimpse/contracts';
import { BusClient, BusExceptionFilter, TraceContextInterceptor } from '@glimpse/bus';
import { ImageCatalog } from './image-catalog';

/** Answers the registry's image subjects and publishes a domain event after each commit. */
@Controller()
@UseFilters(BusExceptionFilter)
@UseInterceptors(TraceContextInterceptor)
export class ImagesHandler {
  constructor(
    private readonly catalog: ImageCatalog,
    private readonly bus: BusClient,
  ) {}

  @MessagePattern(RegistrySubjects.createImage)
  async create(@Payload() request: CreateImageRequest): Promise<ImageRecord> {
    const image = await this.catalog.create(request);
    this.publish(ImageEvents.created, image);
    return image;
  }

  @MessagePattern(RegistrySubjects.getImage)
  get(@Payload() request: GetImageRequest): Promise<ImageRecord> {
    return this.catalog.get(request.caller, request.id);
  }

  @MessagePattern(RegistrySubjects.listImages)
  async list(@Payload() request: ListImagesRequest): Promise<ListImagesReply> {
    return { images: await this.catalog.list(request) };
  }

  @MessagePattern(RegistrySubjects.updateImage)
  async update(@Payload() request: UpdateImageRequest): Promise<ImageRecord> {
    const image = await this.catalog.update(request);
    this.publish(ImageEvents.updated, image);
    return image;
  }

  @MessagePattern(RegistrySubjects.transitionImage)
  async transition(@Payload() request: TransitionImageRequest): Promise<ImageRecord> {
    const image = await this.catalog.transition(request);
    if (image.status === 'active') this.publish(ImageEvents.activated, image);
    return image;
  }

  @MessagePattern(RegistrySubjects.deleteImage)
  async delete(@Payload() request: DeleteImageRequest): Promise<DeleteImageReply> {
    const reply = await this.catalog.delete(request.caller, request.id, request.delayed ?? false);
    this.publish(ImageEvents.deleted, reply.image);
    return reply;
  }

  @MessagePattern(RegistrySubjects.purgeLocations)
  async purgeLocations(@Payload() request: PurgeLocationsRequest): Promise<{ purged: number }> {
    return { purged: await this.catalog.purgeLocations(request.imageId, request.locationIds) };
  }

  @MessagePattern(RegistrySubjects.addTag)
  addTag(@Payload() request: TagRequest): Promise<ImageRecord> {
    return this.catalog.addTag(request.caller, request.id, request.tag);
  }

  @MessagePattern(RegistrySubjects.removeTag)
  removeTag(@Payload() request: TagRequest): Promise<ImageRecord> {
    return this.catalog.removeTag(request.caller, request.id, request.tag);
  }

  @MessagePattern(RegistrySubjects.getUsage)
  usage(@Payload() request: UsageRequest): Promise<UsageReply> {
    return this.catalog.usage(request);
  }

  private publish<S extends keyof ImageEventMap & string>(subject: S, image: ImageRecord): void {
    const event: ImageEvent = {
      imageId: image.id,
      owner: image.owner,
      status: image.status,
      size: image.size,
      at: new Date().toISOString(),
    };
    this.bus.emit<ImageEventMap[S]>(subject, event);
  }
}
