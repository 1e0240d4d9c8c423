/**
 * Every app answers its own health subject, so `nats req glimpse.<service>.health.check.v1 ''`
 * tells an operator which apps are on the bus. Publisher: operators, tests. Consumer: each app.
 */
export const SERVICES = ['api', 'registry', 'cache-agent', 'scrubber', 'pruner'] as const;
export type ServiceName = (typeof SERVICES)[number];

export function healthSubject(service: ServiceName): string {
  return `glimpse.${service}.health.check.v1`;
}

export interface HealthReply {
  service: ServiceName;
  status: 'ok';
  pid: number;
  uptimeSeconds: number;
}
