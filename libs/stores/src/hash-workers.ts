import { Worker } from 'node:worker_threads';

/**
 * One worker thread per hash algorithm, shared by every upload in the process, so that md5 and
 * sha512 run on two cores at once instead of one after the other on the event loop.
 * Data reaches the workers through SharedArrayBuffer slots: the only copy is into the slot.
 */
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const { createHash } = require('node:crypto');
const sessions = new Map();
parentPort.on('message', (m) => {
  if (m.op === 'begin') {
    sessions.set(m.session, { hash: createHash(m.algo), slots: m.slots });
  } else if (m.op === 'update') {
    const s = sessions.get(m.session);
    if (s) s.hash.update(new Uint8Array(s.slots[m.slot], 0, m.length));
    parentPort.postMessage({ op: 'ack', session: m.session, slot: m.slot });
  } else if (m.op === 'end') {
    const s = sessions.get(m.session);
    sessions.delete(m.session);
    parentPort.postMessage({ op: 'digest', session: m.session, digest: s ? s.hash.digest('hex') : null });
  } else if (m.op === 'abort') {
    sessions.delete(m.session);
  }
});
`;

type Message =
  | { op: 'ack'; session: number; slot: number }
  | { op: 'digest'; session: number; digest: string | null };

export interface HashSessionListener {
  onAck(slot: number): void;
  onDigest(digest: string): void;
}

class HashWorker {
  private readonly worker: Worker;
  private readonly listeners = new Map<number, HashSessionListener>();

  constructor(readonly algo: string) {
    this.worker = new Worker(WORKER_SOURCE, { eval: true });
    this.worker.on('message', (m: Message) => {
      const listener = this.listeners.get(m.session);
      if (!listener) return;
      if (m.op === 'ack') listener.onAck(m.slot);
      else {
        this.forget(m.session);
        listener.onDigest(m.digest ?? '');
      }
    });
    // Only after on('message'), which refs the port again: an idle worker must not keep the
    // process alive, while a session in progress must (see begin).
    this.worker.unref();
  }

  begin(session: number, slots: SharedArrayBuffer[], listener: HashSessionListener): void {
    this.listeners.set(session, listener);
    this.worker.ref();
    this.worker.postMessage({ op: 'begin', session, algo: this.algo, slots });
  }

  update(session: number, slot: number, length: number): void {
    this.worker.postMessage({ op: 'update', session, slot, length });
  }

  end(session: number): void {
    this.worker.postMessage({ op: 'end', session });
  }

  abort(session: number): void {
    this.forget(session);
    this.worker.postMessage({ op: 'abort', session });
  }

  private forget(session: number): void {
    this.listeners.delete(session);
    if (this.listeners.size === 0) this.worker.unref();
  }
}

const workers = new Map<string, HashWorker>();
let nextSession = 1;

export function hashWorker(algo: string): HashWorker {
  let worker = workers.get(algo);
  if (!worker) {
    worker = new HashWorker(algo);
    workers.set(algo, worker);
  }
  return worker;
}

export function newSessionId(): number {
  return nextSession++;
}
