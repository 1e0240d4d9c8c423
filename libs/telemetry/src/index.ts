export * from './tracing';
export { serveMetrics, startMetrics } from './metrics';
export { JsonLogger, type LogLevel, createLogger, logsAt, withRequestId } from './logging';
export { type SpanFacts, recordSpanFacts } from './span-facts';
