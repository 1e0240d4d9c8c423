import type { LoggerService } from '@nestjs/common';
import { trace } from '@opentelemetry/api';
import { AsyncLocalStorage } from 'node:async_hooks';
import pino, { type Level, type Logger } from 'pino';

export type LogLevel = Level;

interface RequestScope {
  requestId: string;
}

/** The request being served, so that every log line written for it carries its id. */
const requests = new AsyncLocalStorage<RequestScope>();

export function withRequestId<T>(requestId: string, run: () => T): T {
  return requests.run({ requestId }, run);
}

/**
 * One JSON object per line on stdout (pino): time, level, service, context, message, and the
 * request id and trace id of whatever is being served.
 */
const LEVEL = Symbol.for('glimpse.telemetry.log-level');

/** Whether this process logs at `level` (cheap: for work only a log line would need). */
export function logsAt(level: LogLevel): boolean {
  const current = (globalThis as { [LEVEL]?: Logger })[LEVEL];
  return current !== undefined && current.isLevelEnabled(level);
}

export function createLogger(service: string, level: LogLevel): Logger {
  const logger = pino({
    level,
    base: { service: `glimpse-${service}`, pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
    mixin: () => {
      const fields: Record<string, string> = {};
      const requestId = requests.getStore()?.requestId;
      if (requestId) fields['request_id'] = requestId;
      const span = trace.getActiveSpan()?.spanContext();
      if (span && span.traceFlags !== 0) {
        fields['trace_id'] = span.traceId;
        fields['span_id'] = span.spanId;
      }
      return fields;
    },
  });
  (globalThis as { [LEVEL]?: Logger })[LEVEL] = logger;
  return logger;
}

/** Nest's logger interface over pino: `context` is the Nest context (the class that logs). */
export class JsonLogger implements LoggerService {
  constructor(readonly pino: Logger) {}

  log(message: unknown, ...rest: unknown[]): void {
    this.write('info', message, rest);
  }

  error(message: unknown, ...rest: unknown[]): void {
    this.write('error', message, rest);
  }

  warn(message: unknown, ...rest: unknown[]): void {
    this.write('warn', message, rest);
  }

  debug(message: unknown, ...rest: unknown[]): void {
    this.write('debug', message, rest);
  }

  verbose(message: unknown, ...rest: unknown[]): void {
    this.write('trace', message, rest);
  }

  fatal(message: unknown, ...rest: unknown[]): void {
    this.write('fatal', message, rest);
  }

  /** Nest passes the context last, and for errors a stack before it. */
  private write(level: Level, message: unknown, rest: unknown[]): void {
    if (!this.pino.isLevelEnabled(level)) return;
    const context = typeof rest[rest.length - 1] === 'string' ? (rest[rest.length - 1] as string) : undefined;
    const stack = rest.length > 1 && typeof rest[0] === 'string' ? rest[0] : undefined;
    const fields: Record<string, unknown> = {};
    if (context) fields['context'] = context;
    if (stack) fields['stack'] = stack;
    if (message instanceof Error) this.pino[level]({ ...fields, err: message }, message.message);
    else if (typeof message === 'object' && message !== null) this.pino[level]({ ...fields, ...message });
    else this.pino[level](fields, String(message));
  }
}
