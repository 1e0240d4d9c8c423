import { Controller, Get, Inject } from '@nestjs/common';
import { API_SETTINGS, type ApiSettings } from '../api.settings';
import { UUID_PATTERN, imageSchema, imagesSchema } from '../images/image-schema';
import { taskSchema, tasksSchema } from './task-schema';

/** The minimal member schema Glance serves (name and properties only). */
const MEMBER_SCHEMA = {
  name: 'member',
  properties: {
    created_at: { type: 'string', description: 'Date and time of image member creation' },
    image_id: { type: 'string', pattern: UUID_PATTERN, description: 'An identifier for the image' },
    member_id: { type: 'string', description: 'An identifier for the image member (tenantId)' },
    schema: { type: 'string', readOnly: true },
    status: { type: 'string', enum: ['pending', 'accepted', 'rejected'], description: 'The status of this image member' },
    updated_at: { type: 'string', description: 'Date and time of last modification of image member' },
  },
};

/** /v2/schemas/{image,images,member,members,task,tasks}: the raw JSON schemas glanceclient builds its models from. */
@Controller('v2/schemas')
export class SchemasController {
  private readonly image: Record<string, unknown>;
  private readonly images: Record<string, unknown>;

  constructor(@Inject(API_SETTINGS) settings: ApiSettings) {
    this.image = imageSchema(settings.diskFormats, settings.containerFormats);
    this.images = imagesSchema(this.image);
  }

  @Get('image')
  imageSchema(): Record<string, unknown> {
    return this.image;
  }

  @Get('images')
  imagesSchema(): Record<string, unknown> {
    return this.images;
  }

  @Get('member')
  memberSchema(): Record<string, unknown> {
    return MEMBER_SCHEMA;
  }

  @Get('members')
  membersSchema(): Record<string, unknown> {
    return { name: 'members', properties: { members: { type: 'array', items: MEMBER_SCHEMA }, schema: { type: 'string' } } };
  }

  @Get('task')
  taskSchema(): Record<string, unknown> {
    return taskSchema();
  }

  @Get('tasks')
  tasksSchema(): Record<string, unknown> {
    return tasksSchema();
  }
}
