export * from './tracing';
export { serveMetrics, startMetrics } from './metrics';
export { JsonLogger, type LogLevel, createLogger, withRequestId } from './logging';
