import type { MessageHandler } from '@nestjs/microservices';
import { of, throwError } from 'rxjs';
import { type InProcessContext, inProcessHub } from './in-process.transport';

const hub = inProcessHub();
const owners: string[] = [];

function handlers(owner: string, entries: Record<string, (data: unknown, ctx: InProcessContext) => unknown>, events = false) {
  owners.push(owner);
  const map = new Map<string, MessageHandler>();
  for (const [subject, fn] of Object.entries(entries)) {
    map.set(subject, Object.assign(jest.fn(fn), { isEventHandler: events }) as unknown as MessageHandler);
  }
  hub.attach(owner, map);
  return map;
}

function deferred<T>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

afterEach(() => owners.splice(0).forEach((owner) => hub.detach(owner)));

describe('inProcessHub', () => {
  it('is one hub per process', () => {
    expect(inProcessHub()).toBe(hub);
  });

  it('answers a request with a JSON copy, both ways, with subject and headers', async () => {
    const kept = { image: { id: 'i1', tags: ['a'] } };
    let seen: { data: unknown; subject: string; trace: string | undefined } | undefined;
    handlers('registry', {
      'test.get.v1': (data, ctx) => {
        seen = { data: { ...(data as object) }, subject: ctx.getSubject(), trace: ctx.getHeaders().get('traceparent') };
        (data as { id: string }).id = 'changed by handler';
        return Promise.resolve(kept);
      },
    });
    const sent = { id: 'i1', at: new Date('2026-01-01T00:00:00Z'), skip: undefined };
    const reply = (await hub.request('test.get.v1', sent, { traceparent: '00-abc-def-01' })) as typeof kept;

    expect(seen).toEqual({ data: { id: 'i1', at: '2026-01-01T00:00:00.000Z' }, subject: 'test.get.v1', trace: '00-abc-def-01' });
    expect(sent.id).toBe('i1');
    expect(reply).toEqual(kept);
    reply.image.tags.push('mutated');
    expect(kept.image.tags).toEqual(['a']);
  });

  it('unwraps an observable reply', async () => {
    handlers('registry', { 'test.observable.v1': () => Promise.resolve(of({ n: 1 }, { n: 2 })) });
    expect(await hub.request('test.observable.v1', null, {})).toEqual({ n: 2 });
  });

  it.each([
    ['a rejected promise', (payload: object) => Promise.reject(payload)],
    ['an erroring observable', (payload: object) => Promise.resolve(throwError(() => payload))],
  ])('delivers an error payload from %s as a copy', async (_what, fail) => {
    const payload = { code: 'not_found', message: 'No image found with ID i9' };
    handlers('registry', { 'test.fail.v1': () => fail(payload) });
    const error = await hub.request('test.fail.v1', {}, {}).catch((e: unknown) => e);
    expect(error).toEqual(payload);
    expect(error).not.toBe(payload);
  });

  it('rejects a subject nobody answers', async () => {
    await expect(hub.request('test.nobody.v1', {}, {})).rejects.toThrow('no responders for test.nobody.v1');
  });

  it('delivers an event to every event handler, each with its own copy, and never as a request', async () => {
    const got = [deferred<unknown>(), deferred<unknown>()];
    handlers('cache-agent-1', { 'test.event.v1': (data) => got[0].resolve(data) }, true);
    handlers('cache-agent-2', { 'test.event.v1': (data) => got[1].resolve(data) }, true);
    const event = { imageId: 'i1' };
    hub.emit('test.event.v1', event, {});
    const [a, b] = await Promise.all(got.map((d) => d.promise));
    expect([a, b]).toEqual([event, event]);
    expect([a === event, a === b]).toEqual([false, false]);
    await expect(hub.request('test.event.v1', event, {})).rejects.toThrow('no responders for test.event.v1');
  });

  it('forgets the handlers of a detached owner', async () => {
    const request = handlers('scrubber', { 'test.detach.v1': () => Promise.resolve('x') });
    const event = handlers('scrubber', { 'test.detach.event.v1': () => undefined }, true);
    const stays = deferred<unknown>();
    handlers('pruner', { 'test.detach.event.v1': (data) => stays.resolve(data) }, true);

    hub.detach('scrubber');
    await expect(hub.request('test.detach.v1', {}, {})).rejects.toThrow('no responders for test.detach.v1');
    hub.emit('test.detach.event.v1', { n: 1 }, {});
    expect(await stays.promise).toEqual({ n: 1 });
    const calls = (map: Map<string, MessageHandler>) => [...map.values()].map((h) => (h as unknown as jest.Mock).mock.calls.length);
    expect([...calls(request), ...calls(event)]).toEqual([0, 0]);
  });
});
