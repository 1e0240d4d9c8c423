import { randomBytes } from 'node:crypto';
import { type RunningGlimpse, startGlimpse } from '../support/glimpse';

interface LogLine {
  level: string;
  time: string;
  service: string;
  msg: string;
  context?: string;
  request_id?: string;
  trace_id?: string;
}

function logLines(glimpse: RunningGlimpse): LogLine[] {
  return glimpse
    .logs()
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as LogLine);
}

describe('structured logs (embedded, log_level = debug)', () => {
  let glimpse: RunningGlimpse;
  beforeAll(async () => {
    glimpse = await startGlimpse('embedded', { GLIMPSE_LOG_LEVEL: 'debug', OTEL_SDK_DISABLED: 'false' });
  });
  afterAll(() => glimpse?.stop());

  it('writes one JSON object per line, and the request line carries the request id and the trace id', async () => {
    const traceId = randomBytes(16).toString('hex');
    const res = await fetch(`${glimpse.url}/v2/images?limit=3`, {
      headers: { 'x-openstack-request-id': 'req-logging-1', traceparent: `00-${traceId}-${randomBytes(8).toString('hex')}-01` },
    });
    expect(res.status).toBe(200);
    let line: LogLine | undefined;
    for (let i = 0; i < 50 && !line; i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      line = logLines(glimpse).find((l) => l.request_id === 'req-logging-1');
    }
    expect(line).toMatchObject({ level: 'debug', service: 'glimpse-embedded', context: 'HTTP', msg: 'GET /v2/images?limit=3 200', trace_id: traceId });
    const started = logLines(glimpse).find((l) => l.context === 'NestApplication');
    expect(started).toMatchObject({ level: 'info', msg: 'Nest application successfully started' });
    expect(Date.parse(started!.time)).toBeGreaterThan(0);
  });

  it('writes no debug lines at the default level', async () => {
    const quiet = await startGlimpse('embedded', {});
    try {
      await fetch(`${quiet.url}/v2/images`);
      await new Promise((resolve) => setTimeout(resolve, 200));
      const lines = logLines(quiet);
      expect(lines.length).toBeGreaterThan(0);
      expect(lines.filter((l) => l.level === 'debug')).toEqual([]);
    } finally {
      await quiet.stop();
    }
  });
});
