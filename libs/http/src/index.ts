export * from './glance-error';
export * from './glance-error.filter';
export * from './byte-range';
export * from './request-id.middleware';
export * from './http-metrics.middleware';
export * from './route-span.interceptor';
