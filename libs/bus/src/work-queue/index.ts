export * from './work-queue';
export { JetStreamWorkQueue, type JetStreamWorkQueueOptions } from './jetstream.work-queue';
export { InProcessWorkQueue, sharedInProcessWorkQueue } from './in-process.work-queue';
export { openWorkQueue, type OpenWorkQueueOptions, workQueueFile } from './open-work-queue';
