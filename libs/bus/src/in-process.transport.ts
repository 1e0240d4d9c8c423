import { Logger } from '@nestjs/common';
import {
  BaseRpcContext,
  ClientProxy,
  type CustomTransportStrategy,
  type MessageHandler,
  type ReadPacket,
  Server,
  type WritePacket,
} from '@nestjs/microservices';
import { isObservable, lastValueFrom } from 'rxjs';

type Headers = Record<string, string>;

/** What a handler sees as its context: the same getHeaders().get(key) shape as NatsContext. */
export class InProcessContext extends BaseRpcContext<[string, { get(key: string): string | undefined }]> {
  getSubject(): string {
    return this.args[0];
  }
  getHeaders(): { get(key: string): string | undefined } {
    return this.args[1];
  }
}

interface Endpoint {
  handler: MessageHandler;
  owner: string;
}

/**
 * The process-wide switchboard behind the in-process transport. Stored on globalThis under a
 * registered symbol because each app is its own bundle with its own copy of this module.
 * Payloads are JSON-copied both ways so that in-process behaves like NATS.
 */
class InProcessHub {
  private readonly requestHandlers = new Map<string, Endpoint>();
  private readonly eventHandlers = new Map<string, Endpoint[]>();

  attach(owner: string, handlers: Map<string, MessageHandler>): void {
    for (const [subject, handler] of handlers) {
      if (handler.isEventHandler) {
        const list = this.eventHandlers.get(subject) ?? [];
        list.push({ handler, owner });
        this.eventHandlers.set(subject, list);
      } else {
        this.requestHandlers.set(subject, { handler, owner });
      }
    }
  }

  detach(owner: string): void {
    for (const [subject, endpoint] of this.requestHandlers) {
      if (endpoint.owner === owner) this.requestHandlers.delete(subject);
    }
    for (const [subject, list] of this.eventHandlers) {
      this.eventHandlers.set(subject, list.filter((e) => e.owner !== owner));
    }
  }

  async request(subject: string, data: unknown, headers: Headers): Promise<unknown> {
    const endpoint = this.requestHandlers.get(subject);
    if (!endpoint) throw new Error(`no responders for ${subject}`);
    try {
      const result = await endpoint.handler(copy(data), context(subject, headers));
      return copy(isObservable(result) ? await lastValueFrom(result) : result);
    } catch (error) {
      throw copy(error);
    }
  }

  emit(subject: string, data: unknown, headers: Headers): void {
    for (const { handler } of this.eventHandlers.get(subject) ?? []) {
      void Promise.resolve()
        .then(() => handler(copy(data), context(subject, headers)))
        .then((result) => (isObservable(result) ? lastValueFrom(result, { defaultValue: undefined }) : result))
        .catch((error) => new Logger('InProcessHub').error(`event handler for ${subject} failed: ${String(error)}`));
    }
  }
}

function context(subject: string, headers: Headers): InProcessContext {
  return new InProcessContext([subject, { get: (key: string) => headers[key] }]);
}

function copy<T>(value: T): T {
  return value === undefined ? value : (JSON.parse(JSON.stringify(value)) as T);
}

const HUB = Symbol.for('glimpse.bus.in-process-hub');

export function inProcessHub(): InProcessHub {
  const holder = globalThis as unknown as Record<symbol, InProcessHub | undefined>;
  return (holder[HUB] ??= new InProcessHub());
}

/** A record sent through the in-process client: the payload plus the trace headers. */
export interface InProcessRecord {
  data: unknown;
  headers: Headers;
}

export class InProcessServer extends Server implements CustomTransportStrategy {
  constructor(private readonly owner: string) {
    super();
  }

  listen(callback: () => void): void {
    inProcessHub().attach(this.owner, this.getHandlers());
    callback();
  }

  close(): void {
    inProcessHub().detach(this.owner);
  }

  on(): void {
    // The in-process hub has no connection events.
  }

  unwrap<T>(): T {
    return inProcessHub() as T;
  }
}

export class InProcessClient extends ClientProxy {
  override async connect(): Promise<void> {
    // Nothing to connect to: the hub lives in this process.
  }

  override async close(): Promise<void> {
    // Nothing to release.
  }

  override on(): void {
    // No connection events.
  }

  unwrap<T>(): T {
    return inProcessHub() as T;
  }

  protected publish(packet: ReadPacket, callback: (packet: WritePacket) => void): () => void {
    const record = packet.data as InProcessRecord;
    inProcessHub()
      .request(packet.pattern as string, record.data, record.headers)
      .then(
        (response) => callback({ response, isDisposed: true }),
        (err) => callback({ err, isDisposed: true }),
      );
    return () => undefined;
  }

  protected async dispatchEvent<T = unknown>(packet: ReadPacket): Promise<T> {
    const record = packet.data as InProcessRecord;
    inProcessHub().emit(packet.pattern as string, record.data, record.headers);
    return undefined as T;
  }
}
