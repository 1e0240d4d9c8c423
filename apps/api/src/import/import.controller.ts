import { Controller, Get, HttpCode, Param, Post, Put, Query, Req, Res } from '@nestjs/common';
import { RegistryClient } from '@glimpse/bus';
import { type CallerContext, GlimpseError, ImportSubjects, type TaskRecord, badRequest } from '@glimpse/contracts';
import type { Request, Response } from 'express';
import { announcedSize } from '../http/announced-size';
import { consumeBody } from '../http/request-body';
import { mediaType, readJsonBody } from '../http/json-body';
import { Caller } from '../identity/caller.decorator';
import { ImageAccess } from '../images/image-access';
import { isoTime } from '../images/image-view';
import { PolicyEnforcer } from '@glimpse/access';
import { ImportService } from './import.service';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Interoperable import: PUT /stage, POST /import and the tasks that record imports. */
@Controller()
export class ImportController {
  constructor(
    private readonly imports: ImportService,
    private readonly access: ImageAccess,
    private readonly registry: RegistryClient,
    private readonly policy: PolicyEnforcer,
  ) {}

  @Put('v2/images/:id/stage')
  @HttpCode(204)
  async stage(@Caller() caller: CallerContext, @Param('id') id: string, @Req() req: Request): Promise<void> {
    if (mediaType(req) !== 'application/octet-stream') {
      throw new GlimpseError('unsupported_media_type', `Content-Type ${mediaType(req) || '(none)'} is not supported: use application/octet-stream`);
    }
    const size = announcedSize(req);
    await consumeBody(req, (body) => this.imports.stage(caller, id, body, size));
  }

  @Post('v2/images/:id/import')
  @HttpCode(202)
  async import(@Caller() caller: CallerContext, @Param('id') id: string, @Req() req: Request): Promise<void> {
    const header = req.headers['x-image-meta-store'];
    const requestId = req.headers['x-openstack-request-id'];
    await this.imports.start(caller, id, await readJsonBody(req), Array.isArray(header) ? header[0] : header, typeof requestId === 'string' ? requestId : null);
  }

  /** GET /v2/images/{id}/tasks (API 2.12): the tasks of an image the caller may see. */
  @Get('v2/images/:id/tasks')
  async imageTasks(@Caller() caller: CallerContext, @Param('id') id: string): Promise<{ tasks: Record<string, unknown>[] }> {
    await this.access.visible(caller, id);
    const { tasks } = await this.registry.request(ImportSubjects.listTasks, { imageId: id, limit: 100 });
    return { tasks: tasks.map((task) => ({ ...taskView(task), image_id: task.imageId, request_id: task.requestId, user_id: task.userId })) };
  }

  /** The deprecated tasks API, admin only as in Glance (tasks_api_access). */
  @Get('v2/tasks')
  async tasks(@Caller() caller: CallerContext, @Query('limit') limit?: string): Promise<Record<string, unknown>> {
    this.policy.authorize('tasks_api_access', caller, { project_id: caller.projectId });
    const size = limit === undefined ? 25 : Number(limit);
    if (!Number.isInteger(size) || size < 0) throw badRequest('limit param must be a positive integer');
    const { tasks } = await this.registry.request(ImportSubjects.listTasks, { owner: caller.isAdmin ? undefined : caller.projectId, limit: size });
    return {
      tasks: tasks.map((task) => taskView(task, false)),
      first: '/v2/tasks',
      schema: '/v2/schemas/tasks',
    };
  }

  /** The deprecated tasks API's import: 201 with the pending task, the work done by a worker. */
  @Post('v2/tasks')
  @HttpCode(201)
  async createTask(@Caller() caller: CallerContext, @Req() req: Request, @Res({ passthrough: true }) res: Response): Promise<Record<string, unknown>> {
    this.policy.authorize('tasks_api_access', caller, { project_id: caller.projectId });
    this.policy.authorize('add_task', caller, { project_id: caller.projectId });
    const requestId = req.headers['x-openstack-request-id'];
    const task = await this.imports.startLegacyTask(caller, await readJsonBody(req), typeof requestId === 'string' ? requestId : null);
    res.setHeader('Location', `/v2/tasks/${task.id}`);
    return taskView(task);
  }

  @Get('v2/tasks/:taskId')
  async task(@Caller() caller: CallerContext, @Param('taskId') taskId: string): Promise<Record<string, unknown>> {
    this.policy.authorize('tasks_api_access', caller, { project_id: caller.projectId });
    if (!UUID.test(taskId)) throw new GlimpseError('not_found', `Task with the given id ${taskId} not found`);
    return taskView(await this.registry.request(ImportSubjects.getTask, { taskId }));
  }
}

/** A task as Glance shows it; the list leaves out input, result and message. */
function taskView(task: TaskRecord, detail = true): Record<string, unknown> {
  return {
    id: task.id,
    type: task.type,
    status: task.status,
    owner: task.owner,
    ...(detail ? { input: inputOf(task), result: task.result, message: task.message } : {}),
    expires_at: task.expiresAt ? isoTime(task.expiresAt) : null,
    created_at: isoTime(task.createdAt),
    updated_at: isoTime(task.updatedAt),
    self: `/v2/tasks/${task.id}`,
    schema: '/v2/schemas/task',
  };
}

/** A legacy import task shows the input it was given; the job the worker runs stays inside. */
function inputOf(task: TaskRecord): Record<string, unknown> {
  if (task.type !== 'import') return task.input;
  return Object.fromEntries(Object.entries(task.input).filter(([key]) => key !== 'import_req'));
}
