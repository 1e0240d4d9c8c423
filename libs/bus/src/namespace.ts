import { ServerNats } from '@nestjs/microservices';

/**
 * Several Glimpse deployments (or test clusters) may share one NATS: `[bus] bus_namespace`
 * replaces the leading `glimpse` of every subject and queue group, so that each deployment only
 * talks to itself. Contracts keep their canonical `glimpse.` names.
 */
export function namespaced(subject: string, namespace: string): string {
  return namespace === 'glimpse' || !subject.startsWith('glimpse.') ? subject : `${namespace}${subject.slice('glimpse'.length)}`;
}

/** Nest's NATS server, subscribing to the namespaced form of each handler's subject. */
export class NamespacedNatsServer extends ServerNats {
  constructor(
    options: ConstructorParameters<typeof ServerNats>[0],
    private readonly namespace: string,
  ) {
    super(options);
  }

  override bindEvents(client: unknown): void {
    const handlers = [...this.messageHandlers.entries()];
    this.messageHandlers.clear();
    for (const [subject, handler] of handlers) this.messageHandlers.set(namespaced(subject, this.namespace), handler);
    super.bindEvents(client);
  }
}
