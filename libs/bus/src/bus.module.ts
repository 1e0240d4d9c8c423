import { type DynamicModule, Inject, Module, type OnApplicationShutdown } from '@nestjs/common';
import type { ServiceName } from '@glimpse/contracts';
import { ClientNats, type ClientProxy, type CustomStrategy } from '@nestjs/microservices';
import { BusClient, type BusTransport } from './bus.client';
import { InProcessClient, InProcessServer } from './in-process.transport';
import { NamespacedNatsServer } from './namespace';

export interface BusOptions {
  service: ServiceName;
  transport: BusTransport;
  natsUrl: string;
  timeoutMs: number;
  namespace: string;
}

const BUS_PROXY = Symbol('BUS_PROXY');

function servers(natsUrl: string): string[] {
  return natsUrl.split(',').map((s) => s.trim()).filter(Boolean);
}

/** Provides the BusClient to every module of an app (global), and closes it on shutdown. */
@Module({})
export class BusModule implements OnApplicationShutdown {
  constructor(@Inject(BUS_PROXY) private readonly proxy: ClientProxy) {}

  static forRoot(options: BusOptions): DynamicModule {
    return {
      module: BusModule,
      global: true,
      providers: [
        {
          provide: BUS_PROXY,
          useFactory: async () => {
            const proxy =
              options.transport === 'nats'
                ? (new ClientNats({ servers: servers(options.natsUrl), name: `glimpse-${options.service}-client` }) as unknown as ClientProxy)
                : new InProcessClient();
            await proxy.connect();
            return proxy;
          },
        },
        {
          provide: BusClient,
          inject: [BUS_PROXY],
          useFactory: (proxy: ClientProxy) => new BusClient(proxy, options.transport, options.timeoutMs, options.namespace),
        },
      ],
      exports: [BusClient],
    };
  }

  async onApplicationShutdown(): Promise<void> {
    await this.proxy.close();
  }
}

/**
 * How an app listens on the bus. Requests are answered by one member of the service's queue
 * group (so replicas share the load); `broadcast` apps get every message (cache agents).
 */
export function busServer(options: BusOptions, { broadcast = false } = {}): CustomStrategy {
  if (options.transport === 'in-process') return { strategy: new InProcessServer(options.service) };
  const name = `${options.namespace}-${options.service}`;
  const nats = { servers: servers(options.natsUrl), name, ...(broadcast ? {} : { queue: name }) };
  return { strategy: new NamespacedNatsServer(nats, options.namespace) };
}
