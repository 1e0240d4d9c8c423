import type { GlimpseConfig } from '@glimpse/config';
import type { ServiceName } from '@glimpse/contracts';
import type { BusOptions } from './bus.module';

export function busOptions(config: GlimpseConfig, service: ServiceName): BusOptions {
  return {
    service,
    transport: config.DEFAULT.transport,
    natsUrl: config.bus.nats_url,
    timeoutMs: config.bus.bus_request_timeout,
    namespace: config.bus.bus_namespace,
  };
}
