// /metrics of a cluster: whichever worker is asked answers for the whole instance. It asks the primary over the
// cluster channel; the primary asks every worker for its registry as JSON (prom-client's getMetricsAsJSON),
// adds its own (heartbeat kills, restarts) and sums them with prom-client's AggregatorRegistry.aggregate
// (counters and histograms add up; a metric may name another aggregator, e.g. `max` for values every worker
// reads from the shared database). This is prom-client's cluster protocol (its lib/cluster.js) with two
// changes: the registries are the app's own, not the library's process-wide default, and the primary's
// metrics are part of the sum. The primary loads prom-client only, no HTTP code.
//
//   worker A ──metrics?──> primary ──collect──> every worker ──JSON──> primary ──aggregate──> text ──> worker A
import cluster, { type Worker } from 'node:cluster';
import { randomUUID } from 'node:crypto';
import { AggregatorRegistry, type Registry } from 'prom-client';

const ASK = 'gatehouse:metrics-ask';
const ANSWER = 'gatehouse:metrics-answer';
const COLLECT = 'gatehouse:metrics-collect';
const COLLECTED = 'gatehouse:metrics-collected';
/** A worker that has not sent its metrics by then is left out of that answer (it may be hung, or dying). */
const COLLECT_TIMEOUT_MS = 2000;
/** A worker stops waiting for the primary after this long. */
const ASK_TIMEOUT_MS = 5000;

type Json = Awaited<ReturnType<Registry['getMetricsAsJSON']>>;

interface Message {
  type: string;
  id: string;
  text?: string;
  error?: string;
  metrics?: Json;
}
const isMessage = (value: unknown): value is Message =>
  typeof value === 'object' && value !== null && typeof (value as Message).type === 'string';

/** In a worker: answer the primary's requests for this worker's metrics. */
export function answerMetricsCollection(registry: Registry): void {
  process.on('message', (message: unknown) => {
    if (!isMessage(message) || message.type !== COLLECT) return;
    registry.getMetricsAsJSON().then(
      (metrics) => process.send?.({ type: COLLECTED, id: message.id, metrics }),
      () => process.send?.({ type: COLLECTED, id: message.id, metrics: [] }),
    );
  });
}

/** In a worker: the instance's metrics, through the primary. */
export function clusterMetricsText(): Promise<string> {
  const id = randomUUID();
  return new Promise((resolve, reject) => {
    const done = (error?: Error, text?: string) => {
      clearTimeout(timer);
      process.off('message', onMessage);
      if (error) reject(error);
      else resolve(text ?? '');
    };
    const onMessage = (message: unknown) => {
      if (!isMessage(message) || message.type !== ANSWER || message.id !== id) return;
      if (message.error !== undefined) done(new Error(message.error));
      else done(undefined, message.text);
    };
    const timer = setTimeout(
      () => done(new Error('the cluster primary did not send the metrics in time')),
      ASK_TIMEOUT_MS,
    );
    process.on('message', onMessage);
    process.send?.({ type: ASK, id });
  });
}

/** In the primary: the workers' metrics and the primary's own, added up. */
async function collect(own: Registry): Promise<string> {
  const workers = Object.values(cluster.workers ?? {}).filter((worker): worker is Worker => !!worker?.isConnected());
  const id = randomUUID();
  const parts: Json[] = [await own.getMetricsAsJSON()];
  await new Promise<void>((resolve) => {
    let pending = workers.length;
    const finish = () => {
      clearTimeout(timer);
      cluster.off('message', onMessage);
      resolve();
    };
    const onMessage = (_worker: Worker, message: unknown) => {
      if (!isMessage(message) || message.type !== COLLECTED || message.id !== id) return;
      parts.push(message.metrics ?? []);
      if (--pending === 0) finish();
    };
    const timer = setTimeout(finish, COLLECT_TIMEOUT_MS);
    cluster.on('message', onMessage);
    if (pending === 0) finish();
    for (const worker of workers) worker.send({ type: COLLECT, id });
  });
  return AggregatorRegistry.aggregate(parts).metrics();
}

/** In the primary: answer a worker that asks for the instance's metrics. Returns a stop function. */
export function serveClusterMetrics(own: Registry): () => void {
  const onMessage = (worker: Worker, message: unknown) => {
    if (!isMessage(message) || message.type !== ASK) return;
    collect(own).then(
      (text) => worker.isConnected() && worker.send({ type: ANSWER, id: message.id, text }),
      (error: unknown) => worker.isConnected() && worker.send({ type: ANSWER, id: message.id, error: String(error) }),
    );
  };
  cluster.on('message', onMessage);
  return () => cluster.off('message', onMessage);
}
