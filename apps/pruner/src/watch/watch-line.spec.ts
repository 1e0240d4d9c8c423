import { decodeMessage, formatLine, humanBytes, jsonLine, shortName } from './watch-line';

const NS = 'glimpse-it-1';
const RECEIVED = new Date('2026-12-02T15:02:30.000Z');
const ID = '6f60a2f4-1b2c-4d5e-8f90-123456789abc';

/** A message as Nest's ClientNats emits it: `{pattern, data}` (plus `id` and a reply inbox for a request). */
function nest(subject: string, data: unknown, request?: { id: string; reply: string }) {
  const envelope = request ? { pattern: subject, data, id: request.id } : { pattern: subject, data };
  return { subject, reply: request?.reply, data: Buffer.from(JSON.stringify(envelope)) };
}

function line(message: { subject: string; reply?: string; data: Uint8Array }): string {
  return formatLine(decodeMessage(message, NS, RECEIVED), { utc: true });
}

describe('glimpse watch lines', () => {
  it('shows an image event by its short name, id first, sizes in binary units, at the time it happened', () => {
    const body = { imageId: ID, owner: 'project-a', status: 'active', size: 50 * 1024 * 1024, at: '2026-12-02T15:02:11.123Z' };
    expect(line(nest(`${NS}.events.image.activated.v1`, body))).toBe(`15:02:11 image.activated ${ID} owner=project-a status=active size=50.0 MiB`);
  });

  it('leaves out the fields that are null (a created image has no size yet)', () => {
    const body = { imageId: ID, owner: null, status: 'queued', size: null, at: '2026-12-02T15:02:10.000Z' };
    expect(line(nest(`${NS}.events.image.created.v1`, body))).toBe(`15:02:10 image.created ${ID} status=queued`);
  });

  it('quotes a value with spaces and drops the node a cache subject already names', () => {
    const body = { node: 'node-1', imageId: ID, reason: 'the image was deleted', size: 1536, at: '2026-12-02T15:03:00.000Z' };
    expect(line(nest(`${NS}.cache.node-1.evicted.v1`, body))).toBe(`15:03:00 cache.node-1.evicted ${ID} reason="the image was deleted" size=1.5 KiB`);
  });

  it('keeps the node of a heartbeat, whose subject does not name it', () => {
    const body = { node: 'node-1', url: 'http://10.0.0.5:9296', sizeBytes: 0, maxSizeBytes: 10 * 1024 ** 3, at: '2026-12-02T15:03:05.000Z' };
    expect(line(nest(`${NS}.registry.cache.node.seen.v1`, body))).toBe(
      '15:03:05 registry.cache.node.seen node=node-1 url=http://10.0.0.5:9296 sizeBytes=0 B maxSizeBytes=10.0 GiB',
    );
  });

  it('shows a failed scrub with its error', () => {
    const body = { imageId: ID, at: '2026-12-02T15:04:00.000Z', error: 'store unavailable: connect ECONNREFUSED' };
    expect(line(nest(`${NS}.scrub.image.failed.v1`, body))).toBe(`15:04:00 scrub.image.failed ${ID} error="store unavailable: connect ECONNREFUSED"`);
  });

  it('uses the time of receipt for a body without at, and shows an empty body as the subject alone', () => {
    expect(line(nest(`${NS}.import.task.run.v1`, { taskId: 't-1' }))).toBe('15:02:30 import.task.run t-1');
    expect(line({ subject: `${NS}.cache.agents.prune.v1`, data: Buffer.from('') })).toBe('15:02:30 cache.agents.prune');
  });

  it('marks requests: a reply inbox, or the id of Nest’s request envelope', () => {
    const request = nest(`${NS}.registry.health.check.v1`, {}, { id: 'abc', reply: '_INBOX.x' });
    const event = decodeMessage(request, NS, RECEIVED);
    expect(event).toMatchObject({ request: true, body: {}, name: 'registry.health.check' });
    expect(formatLine(event, { utc: true })).toBe('15:02:30 → request registry.health.check');
    // A JetStream publish is a plain JSON body with a reply inbox for the ack.
    const job = { subject: `${NS}.jobs.scrub.${ID}`, reply: '_INBOX.y', data: Buffer.from(JSON.stringify({ imageId: ID, deletedAt: '2026-12-02T15:00:00.000Z' })) };
    expect(line(job)).toBe(`15:02:30 → request jobs.scrub.${ID} ${ID} deletedAt=2026-12-02T15:00:00.000Z`);
    expect(decodeMessage(nest(`${NS}.events.image.updated.v1`, { imageId: ID }), NS, RECEIVED).request).toBe(false);
  });

  it('does not mistake a body with a pattern field and others for an envelope', () => {
    const body = { pattern: 'x', data: 1, other: true };
    const message = { subject: `${NS}.custom.v1`, data: Buffer.from(JSON.stringify(body)) };
    expect(decodeMessage(message, NS, RECEIVED).body).toEqual(body);
  });

  it('shows a body that is not JSON as text, cut at 80 characters', () => {
    const message = { subject: `${NS}.debug`, data: Buffer.from(`not json ${'x'.repeat(100)}`) };
    const text = line(message);
    expect(text.startsWith('15:02:30 debug not json xxx')).toBe(true);
    expect(text.endsWith('…')).toBe(true);
    expect(text.length).toBe('15:02:30 debug '.length + 80);
  });

  it('keeps the subject of another namespace whole', () => {
    expect(shortName('other.events.image.created.v1', NS)).toBe('other.events.image.created.v1');
    expect(shortName(`${NS}.events.image.created.v2`, NS)).toBe('image.created.v2');
  });

  it('--json gives the unwrapped body with the full subject and the event time', () => {
    const body = { imageId: ID, status: 'queued', at: '2026-12-02T15:02:10.000Z' };
    const parsed = JSON.parse(jsonLine(decodeMessage(nest(`${NS}.events.image.created.v1`, body), NS, RECEIVED)));
    expect(parsed).toEqual({ time: '2026-12-02T15:02:10.000Z', subject: `${NS}.events.image.created.v1`, name: 'image.created', body });
  });

  it('formats byte counts in binary units', () => {
    expect([0, 1023, 1024, 50 * 1024 ** 2, 3.25 * 1024 ** 4].map(humanBytes)).toEqual(['0 B', '1023 B', '1.0 KiB', '50.0 MiB', '3.3 TiB']);
  });
});
