import { UUID_PATTERN, collectionSchema } from '../images/image-schema';

/**
 * The fields of a task as GET /v2/tasks/{id} shows them (glanceclient validates the tasks it gets
 * against this). Unlike Glance's, owner and the ids may be null: with noauth there is no project.
 */
const TASK_PROPERTIES: Record<string, Record<string, unknown>> = {
  id: { type: 'string', pattern: UUID_PATTERN, description: 'Task id' },
  type: { type: 'string', enum: ['import', 'api_image_import', 'location_import'], description: 'What the task does' },
  status: { type: 'string', enum: ['pending', 'processing', 'success', 'failure'], description: 'Where the task is' },
  input: { type: ['null', 'object'], description: 'The parameters the task was given' },
  result: { type: ['null', 'object'], description: 'What the task produced' },
  owner: { type: ['null', 'string'], description: 'Project that owns the task' },
  message: { type: 'string', description: 'Why the task failed, when it did' },
  image_id: { type: ['null', 'string'], description: 'The image the task works on' },
  request_id: { type: ['null', 'string'], description: 'Request id of the call that created the task' },
  user_id: { type: ['null', 'string'], description: 'User who created the task' },
  expires_at: { type: ['null', 'string'], description: 'When the finished task may be removed' },
  created_at: { type: 'string', description: 'When the task was created' },
  updated_at: { type: 'string', description: 'When the task last changed' },
  self: { type: 'string', readOnly: true },
  schema: { type: 'string', readOnly: true },
};

/** /v2/schemas/task. */
export function taskSchema(): Record<string, unknown> {
  return { name: 'task', properties: TASK_PROPERTIES };
}

/** /v2/schemas/tasks: the list shows tasks without input, result and message. */
export function tasksSchema(): Record<string, unknown> {
  const listed = Object.fromEntries(Object.entries(TASK_PROPERTIES).filter(([key]) => !['input', 'result', 'message'].includes(key)));
  return collectionSchema('tasks', { name: 'task', properties: listed });
}
