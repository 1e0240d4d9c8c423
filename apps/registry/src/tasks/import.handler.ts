import { Controller, UseFilters, UseInterceptors } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { BusExceptionFilter, TraceContextInterceptor } from '@glimpse/bus';
import { type BeginImportRequest, type FinishImportRequest, ImageEvents, ImportSubjects, type ImportRequestMap } from '@glimpse/contracts';
import { ImageEventPublisher } from '../images/image-events';
import { ImportCatalog } from './import-catalog';

type Reply<S extends keyof ImportRequestMap> = Promise<ImportRequestMap[S][1]>;
type Request<S extends keyof ImportRequestMap> = ImportRequestMap[S][0];

/** Answers the import lock and task subjects. */
@Controller()
@UseFilters(BusExceptionFilter)
@UseInterceptors(TraceContextInterceptor)
export class ImportHandler {
  constructor(
    private readonly catalog: ImportCatalog,
    private readonly events: ImageEventPublisher,
  ) {}

  @MessagePattern(ImportSubjects.begin)
  begin(@Payload() request: BeginImportRequest): Reply<typeof ImportSubjects.begin> {
    return this.catalog.begin(request);
  }

  @MessagePattern(ImportSubjects.claim)
  async claim(@Payload() request: Request<typeof ImportSubjects.claim>): Reply<typeof ImportSubjects.claim> {
    return { task: await this.catalog.claim(request.taskId, request.workerId, request.staleAfterMs) };
  }

  @MessagePattern(ImportSubjects.heartbeat)
  async heartbeat(@Payload() request: Request<typeof ImportSubjects.heartbeat>): Reply<typeof ImportSubjects.heartbeat> {
    return { held: await this.catalog.heartbeat(request.taskId, request.workerId) };
  }

  @MessagePattern(ImportSubjects.finish)
  async finish(@Payload() request: FinishImportRequest): Reply<typeof ImportSubjects.finish> {
    const reply = await this.catalog.finish(request);
    if (reply.image) this.events.publish(reply.image.status === 'active' && request.data ? ImageEvents.activated : ImageEvents.updated, reply.image);
    return reply;
  }

  @MessagePattern(ImportSubjects.orphaned)
  async orphaned(@Payload() request: Request<typeof ImportSubjects.orphaned>): Reply<typeof ImportSubjects.orphaned> {
    return { taskIds: await this.catalog.orphaned(request.staleAfterMs, request.limit) };
  }

  @MessagePattern(ImportSubjects.getTask)
  getTask(@Payload() request: Request<typeof ImportSubjects.getTask>): Reply<typeof ImportSubjects.getTask> {
    return this.catalog.getTask(request.taskId);
  }

  @MessagePattern(ImportSubjects.listTasks)
  async listTasks(@Payload() request: Request<typeof ImportSubjects.listTasks>): Reply<typeof ImportSubjects.listTasks> {
    return { tasks: await this.catalog.listTasks({ imageId: request.imageId, owner: request.owner }, request.limit) };
  }

}
