export * from './tracing';
export { serveMetrics, startMetrics } from './metrics';
