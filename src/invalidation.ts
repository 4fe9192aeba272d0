// Read-your-writes across the workers of one instance (docs/operations.md "Caches, and why they stay correct"): a worker
// that changed configuration asks the cluster primary to have every worker drop its caches, and answers its own request
// only once all of them have done so. Other instances notice through the change counter (store/cache.ts).
//
//   writer ──invalidate-all──> primary ──invalidate──> each worker ──invalidated──> primary ──done──> writer
import cluster, { type Worker } from 'node:cluster';
import { randomUUID } from 'node:crypto';

const ALL = 'gatehouse:invalidate-all';
const ONE = 'gatehouse:invalidate';
const ACK = 'gatehouse:invalidated';
const DONE = 'gatehouse:invalidation-done';
/** A worker that does not answer in time is stuck or dying; the writer does not wait for it forever. */
const TIMEOUT_MS = 2000;

interface Message {
  type: string;
  id: string;
}
const isMessage = (value: unknown): value is Message =>
  typeof value === 'object' &&
  value !== null &&
  typeof (value as Message).type === 'string' &&
  typeof (value as Message).id === 'string';

/** In a worker: drop caches when the primary says so. */
export function onInvalidation(invalidate: () => void): void {
  if (!process.send) return;
  process.on('message', (message) => {
    if (!isMessage(message) || message.type !== ONE) return;
    invalidate();
    process.send!({ type: ACK, id: message.id });
  });
}

/** In a worker: have every worker of this instance drop its caches; resolves when they have. */
export function broadcastInvalidation(): Promise<void> {
  if (!process.send || cluster.isPrimary) return Promise.resolve();
  const id = randomUUID();
  return new Promise((resolve) => {
    const done = (message: unknown) => {
      if (isMessage(message) && message.type === DONE && message.id === id) finish();
    };
    const timer = setTimeout(() => finish(), TIMEOUT_MS);
    function finish() {
      clearTimeout(timer);
      process.off('message', done);
      resolve();
    }
    process.on('message', done);
    process.send!({ type: ALL, id });
  });
}

/** In the primary: relay invalidations from any worker to all of them. */
export function relayInvalidations(): void {
  cluster.on('message', (origin: Worker, message: unknown) => {
    if (!isMessage(message) || message.type !== ALL) return;
    const { id } = message;
    const workers = Object.values(cluster.workers ?? {}).filter((w): w is Worker => Boolean(w?.isConnected()));
    let waiting = workers.length;
    const acks = (_worker: Worker, reply: unknown) => {
      if (!isMessage(reply) || reply.type !== ACK || reply.id !== id) return;
      if (--waiting === 0) finish();
    };
    const timer = setTimeout(() => finish(), TIMEOUT_MS);
    function finish() {
      clearTimeout(timer);
      cluster.off('message', acks);
      if (origin.isConnected()) origin.send({ type: DONE, id });
    }
    cluster.on('message', acks);
    for (const worker of workers) worker.send({ type: ONE, id });
    if (waiting === 0) finish();
  });
}
