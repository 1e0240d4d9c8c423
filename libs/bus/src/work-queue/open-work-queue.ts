import { join } from 'node:path';
import type { GlimpseConfig } from '@glimpse/config';
import type { BusOptions } from '../bus.module';
import { JetStreamWorkQueue } from './jetstream.work-queue';
import { sharedInProcessWorkQueue } from './in-process.work-queue';
import type { WorkQueue } from './work-queue';

export interface OpenWorkQueueOptions {
  /** Embedded mode: the SQLite file that keeps the jobs across restarts (null: memory only). */
  file: string | null;
  /** JetStream: how long an unacknowledged job waits before redelivery (running handlers heartbeat). */
  ackWaitMs?: number;
}

/** The app's work queue on its bus: JetStream over NATS, or the process's in-process queue. */
export function openWorkQueue<T>(bus: BusOptions, options: OpenWorkQueueOptions): Promise<WorkQueue<T>> {
  if (bus.transport === 'nats') {
    return JetStreamWorkQueue.connect<T>({ natsUrl: bus.natsUrl, namespace: bus.namespace, name: bus.service, ackWaitMs: options.ackWaitMs });
  }
  return Promise.resolve(sharedInProcessWorkQueue<T>(options.file));
}

/** Embedded mode keeps its jobs in `$data_dir/work-queues.sqlite` (every app of the process shares it); none over NATS. */
export function workQueueFile(config: GlimpseConfig): string | null {
  return config.DEFAULT.transport === 'in-process' ? join(config.DEFAULT.data_dir, 'work-queues.sqlite') : null;
}
