import { Controller, UseFilters, UseInterceptors } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import {
  type CreateImageRequest,
  type DeleteImageReply,
  type DeleteImageRequest,
  type GetImageRequest,
  ImageEvents,
  type ImageRecord,
  type KillAbandonedUploadsRequest,
  type ListImagesReply,
  type ListImagesRequest,
  type PurgeLocationsRequest,
  type SetLocationsReply,
  type SetLocationsRequest,
  RegistrySubjects,
  type TagRequest,
  type TransitionImageRequest,
  type UpdateImageRequest,
  type UsageReply,
  type UsageRequest,
} from '@glimpse/contracts';
import { BusExceptionFilter, TraceContextInterceptor } from '@glimpse/bus';
import { ScrubQueue } from '../scrub/scrub-queue';
import { ImageCatalog } from './image-catalog';
import { ImageEventPublisher } from './image-events';
import { UploadLiveness } from './upload-liveness';

/** Answers the registry's image subjects and publishes a domain event after each commit. */
@Controller()
@UseFilters(BusExceptionFilter)
@UseInterceptors(TraceContextInterceptor)
export class ImagesHandler {
  constructor(
    private readonly catalog: ImageCatalog,
    private readonly events: ImageEventPublisher,
    private readonly scrubQueue: ScrubQueue,
    private readonly uploads: UploadLiveness,
  ) {}

  @MessagePattern(RegistrySubjects.createImage)
  async create(@Payload() request: CreateImageRequest): Promise<ImageRecord> {
    const image = await this.catalog.create(request);
    this.events.publish(ImageEvents.created, image);
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
    this.events.publish(ImageEvents.updated, image);
    return image;
  }

  @MessagePattern(RegistrySubjects.transitionImage)
  async transition(@Payload() request: TransitionImageRequest): Promise<ImageRecord> {
    const image = await this.catalog.transition(request);
    if (image.status === 'active') this.events.publish(ImageEvents.activated, image);
    if (image.status === 'deactivated' && request.from !== 'deactivated') this.events.publish(ImageEvents.deactivated, image);
    return image;
  }

  @MessagePattern(RegistrySubjects.touchUpload)
  async touchUpload(@Payload() request: { id: string }): Promise<{ saving: boolean }> {
    return { saving: await this.uploads.touch(request.id) };
  }

  @MessagePattern(RegistrySubjects.killAbandonedUploads)
  async killAbandonedUploads(@Payload() request: KillAbandonedUploadsRequest): Promise<{ imageIds: string[]; unstagedIds: string[] }> {
    const { killed, unstaged } = await this.uploads.reap(request.staleAfterMs, request.limit);
    for (const image of killed) this.events.publish(ImageEvents.killed, image);
    for (const image of unstaged) this.events.publish(ImageEvents.updated, image);
    return { imageIds: killed.map((image) => image.id), unstagedIds: unstaged.map((image) => image.id) };
  }

  @MessagePattern(RegistrySubjects.deleteImage)
  async delete(@Payload() request: DeleteImageRequest): Promise<DeleteImageReply> {
    const reply = await this.catalog.delete(request.caller, request.id, request.delayed ?? false);
    this.events.publish(ImageEvents.deleted, reply.image);
    if (reply.image.status === 'pending_delete') await this.scrubQueue.enqueue(reply.image.id, reply.image.updatedAt);
    return reply;
  }

  @MessagePattern(RegistrySubjects.setLocations)
  async setLocations(@Payload() request: SetLocationsRequest): Promise<SetLocationsReply> {
    const reply = await this.catalog.setLocations(request);
    this.events.publish(request.activate ? ImageEvents.activated : ImageEvents.updated, reply.image);
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

}
