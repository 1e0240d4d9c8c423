/**
 * What `glimpse watch` makes of one NATS message: the body unwrapped from Nest's envelope, the
 * subject without its namespace, and one readable line. Pure, so that every case is a unit test.
 */

/** One message as NATS delivered it. */
export interface WatchedMessage {
  subject: string;
  /** The reply inbox of a request (absent for events). */
  reply?: string;
  data: Uint8Array;
}

export interface WatchedEvent {
  /** The subject on the wire, namespace included. */
  subject: string;
  /** The subject without the namespace, `events.` and `.v1`: `image.activated`, `cache.node-1.cached`. */
  name: string;
  /** A request (it has a reply inbox) rather than an event. */
  request: boolean;
  /** The JSON body (Nest's `{pattern, data, id}` envelope removed), or the text of a body that is not JSON. */
  body: unknown;
  /** The event's own `at` when it has one, else when it was received. */
  time: Date;
}

export interface LineOptions {
  /** Times in UTC rather than the local zone. */
  utc?: boolean;
}

const MAX_VALUE_CHARS = 80;
/** Fields that are byte counts, shown as 50.0 MiB. */
const BYTE_FIELDS = new Set(['size', 'sizeBytes', 'maxSizeBytes', 'bytesPruned', 'heapUsedBytes']);
/** Fields shown bare, first: what the event is about. */
const BARE_FIELDS = new Set(['imageId', 'taskId']);

/** `glimpse-it.events.image.activated.v1` → `image.activated`; a subject outside the namespace stays whole. */
export function shortName(subject: string, namespace: string): string {
  if (!subject.startsWith(`${namespace}.`)) return subject;
  let name = subject.slice(namespace.length + 1);
  if (name.startsWith('events.')) name = name.slice('events.'.length);
  return name.endsWith('.v1') ? name.slice(0, -'.v1'.length) : name;
}

export function decodeMessage(message: WatchedMessage, namespace: string, receivedAt: Date): WatchedEvent {
  const text = Buffer.from(message.data).toString('utf8');
  let body: unknown = text;
  let requestId = false;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON: shown as text
  }
  if (isNestEnvelope(body)) {
    requestId = typeof body.id === 'string';
    body = body.data;
  }
  return {
    subject: message.subject,
    name: shortName(message.subject, namespace),
    request: Boolean(message.reply) || requestId,
    body,
    time: eventTime(body) ?? receivedAt,
  };
}

/** `15:02:11 image.activated 6f60… owner=project-a status=active size=50.0 MiB`; requests start with `→ request`. */
export function formatLine(event: WatchedEvent, options: LineOptions = {}): string {
  const parts = [clock(event.time, options.utc ?? false)];
  if (event.request) parts.push('→ request');
  parts.push(event.name);
  const fields = describeBody(event.name, event.body);
  if (fields) parts.push(fields);
  return parts.join(' ');
}

/** The `--json` line: the unwrapped body with where and when it came from. */
export function jsonLine(event: WatchedEvent): string {
  return JSON.stringify({
    time: event.time.toISOString(),
    subject: event.subject,
    name: event.name,
    ...(event.request ? { request: true } : {}),
    body: event.body,
  });
}

function describeBody(name: string, body: unknown): string {
  if (body === null || body === undefined || body === '') return '';
  if (typeof body !== 'object' || Array.isArray(body)) return truncate(typeof body === 'string' ? body : JSON.stringify(body));
  const tokens = new Set(name.split('.'));
  const bare: string[] = [];
  const named: string[] = [];
  for (const [key, value] of Object.entries(body as Record<string, unknown>)) {
    if (value === null || value === undefined || key === 'at') continue;
    // A cache event's node is already in its subject (cache.node-1.cached).
    if (key === 'node' && tokens.has(String(value))) continue;
    if (BARE_FIELDS.has(key) && typeof value === 'string') bare.push(value);
    else named.push(`${key}=${fieldValue(key, value)}`);
  }
  return [...bare, ...named].join(' ');
}

function fieldValue(key: string, value: unknown): string {
  if (BYTE_FIELDS.has(key) && typeof value === 'number') return humanBytes(value);
  if (typeof value === 'string') return /^[^\s"=]+$/.test(value) ? truncate(value) : JSON.stringify(truncate(value));
  return truncate(JSON.stringify(value));
}

export function humanBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let value = bytes;
  let unit = 0;
  while (Math.abs(value) >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${bytes} B` : `${value.toFixed(1)} ${units[unit]}`;
}

function truncate(text: string): string {
  return text.length > MAX_VALUE_CHARS ? `${text.slice(0, MAX_VALUE_CHARS - 1)}…` : text;
}

function clock(time: Date, utc: boolean): string {
  const [h, m, s] = utc ? [time.getUTCHours(), time.getUTCMinutes(), time.getUTCSeconds()] : [time.getHours(), time.getMinutes(), time.getSeconds()];
  return [h, m, s].map((n) => String(n).padStart(2, '0')).join(':');
}

function eventTime(body: unknown): Date | null {
  const at = body && typeof body === 'object' ? (body as { at?: unknown }).at : undefined;
  if (typeof at !== 'string') return null;
  const time = new Date(at);
  return Number.isNaN(time.getTime()) ? null : time;
}

/** Nest's ClientNats sends `{pattern, data}` for an event and `{pattern, data, id}` for a request. */
function isNestEnvelope(value: unknown): value is { pattern: unknown; data: unknown; id?: string } {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return false;
  const keys = Object.keys(value);
  return 'pattern' in value && keys.every((key) => key === 'pattern' || key === 'data' || key === 'id');
}

