import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { JetStreamWorkQueue, type QueuedJob, type WorkQueue, sharedInProcessWorkQueue } from '@glimpse/bus';
import { connect } from 'nats';
import { NATS, requireService, restartNats } from '../support/services';
import { workQueueConformance } from '../support/work-queue-conformance';

type Job = { n: number };
const NATS_URL = `nats://${NATS.host}:${NATS.port}`;
const ACK_WAIT_MS = 600;
// Every run has its own namespace: its own subjects and its own streams on the shared NATS.
const namespace = `wq-it-${randomBytes(4).toString('hex')}`;
const open = () => JetStreamWorkQueue.connect<Job>({ natsUrl: NATS_URL, namespace, name: 'int-spec', ackWaitMs: ACK_WAIT_MS });

beforeAll(() => requireService(NATS));
afterAll(async () => {
  const nc = await connect({ servers: NATS_URL });
  const jsm = await nc.jetstreamManager();
  for await (const stream of jsm.streams.list()) {
    if (stream.config.name.startsWith(`${namespace}-`)) await jsm.streams.delete(stream.config.name);
  }
  await nc.close();
}, 30000);

workQueueConformance('JetStream', () => ({ open, ackWaitMs: ACK_WAIT_MS }));

// Embedded mode's queue: every reopening after the last close reads the jobs back from the file.
const sqliteDir = mkdtempSync(join(tmpdir(), 'glimpse-wq-'));
afterAll(() => rmSync(sqliteDir, { recursive: true, force: true }));
workQueueConformance('in-process, persisted in SQLite', () => ({
  open: async () => sharedInProcessWorkQueue<Job>(join(sqliteDir, 'queues.sqlite')),
  ackWaitMs: 100,
}));

function deferred<V>() {
  let resolve!: (value: V) => void;
  return { promise: new Promise<V>((r) => (resolve = r)), resolve };
}

async function waitFor(check: () => Promise<boolean>, what: string, timeoutMs = 20000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`${what} did not happen within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('JetStream work queue: durability', () => {
  const options = { durable: 'durability', concurrency: 1, backoffMs: [50], maxAttempts: 5 };
  const opened: WorkQueue<Job>[] = [];
  const track = async () => {
    const q = await open();
    opened.push(q);
    return q;
  };
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((q) => q.close().catch(() => undefined)));
  });

  it('redelivers a job whose consumer died mid-handler to the next consumer, as attempt 2', async () => {
    const queue = `crash${randomBytes(3).toString('hex')}`;
    const dying = await open(); // not tracked: it "dies" without stopping its handler
    const started = deferred<void>();
    await dying.consume(queue, () => (started.resolve(), new Promise<void>(() => undefined)), options);
    await dying.enqueue(queue, 'img', { n: 1 });
    await started.promise;
    // A crash: the connection goes, the handler never acknowledges.
    await (dying as unknown as { nc: { close(): Promise<void> } }).nc.close();

    const next = await track();
    const got = deferred<QueuedJob<Job>>();
    await next.consume(queue, async (job) => got.resolve(job), options);
    const job = await got.promise;
    expect([job.key, job.attempt]).toEqual(['img', 2]);
  }, 30000);

  it('keeps a job enqueued before NATS restarts, and a running consumer reconnects', async () => {
    const before = `before${randomBytes(3).toString('hex')}`;
    const live = `live${randomBytes(3).toString('hex')}`;
    const q = await track();
    const liveJobs: string[] = [];
    await q.consume(live, async (job) => void liveJobs.push(job.key), options);
    await q.enqueue(before, 'survivor', { n: 7 });

    await restartNats();
    // JetStream has recovered its streams once they answer again.
    await waitFor(async () => (await q.count(before).catch(() => -1)) === 1, 'the stream answering after the restart');

    await q.enqueue(live, 'after-restart', { n: 8 });
    await waitFor(async () => liveJobs.includes('after-restart'), 'the live consumer taking a job after the restart');

    const fresh = await track();
    const got = deferred<QueuedJob<Job>>();
    await fresh.consume(before, async (job) => got.resolve(job), options);
    const job = await got.promise;
    expect([job.key, job.data]).toEqual(['survivor', { n: 7 }]);
  }, 60000);
});

