// The cluster primary's heartbeat. Every worker is asked, over the cluster channel, whether it can still
// take connections; a worker that has not answered for GATEHOUSE_HEARTBEAT_TIMEOUT is killed and another
// one forked. The answer comes from the worker's event loop: argon2id hashing runs on the thread pool, so a
// worker busy with passwords still answers, while a stopped, hung or wedged one does not.
//
//   primary ──ping──> worker (event loop) ──can it accept?──> pong ──> primary notes the time
//
// "Can it accept" is false while the worker is at its file limit, and for good once a connection passed by
// the primary was lost: Node's round-robin cluster then waits forever for that worker's reply and never
// hands it another connection, so only a new worker serves again (docs/operations.md, "Connection limits").
import cluster, { type Worker } from 'node:cluster';
import { closeSync, openSync } from 'node:fs';
import { devNull } from 'node:os';
import type { Logger } from 'pino';

const PING = 'gatehouse:heartbeat';
const PONG = 'gatehouse:heartbeat-answer';
/** Pings go out a few times per timeout, and at least every 5 s. */
const MAX_INTERVAL_MS = 5000;

interface Message {
  type: string;
}
const isMessage = (value: unknown): value is Message =>
  typeof value === 'object' && value !== null && typeof (value as Message).type === 'string';

/** Whether one more file descriptor can be opened now (not EMFILE/ENFILE). */
function belowFileLimit(): boolean {
  try {
    closeSync(openSync(devNull, 'r'));
    return true;
  } catch {
    return false;
  }
}

/** In a worker: answer the primary's pings while this worker can still take connections. */
export function answerHeartbeats(logger: Logger): void {
  if (!process.send) return;
  let lostConnection = false;
  // The cluster passes each connection as a NODE_HANDLE message whose descriptor the kernel drops when this
  // process is at its file limit; Node then has no handle to deliver (it tells the primary NODE_HANDLE_NACK,
  // which does not resend raw handles), and the round-robin scheduler never offers this worker another one.
  process.on('internalMessage', (message: unknown, handle: unknown) => {
    if (lostConnection || !(isMessage(message) && (message as { cmd?: unknown }).cmd === 'NODE_HANDLE') || handle)
      return;
    lostConnection = true;
    logger.error(
      'a connection passed by the primary was lost at the file limit; this worker gets no new connections and waits to be replaced',
    );
  });
  process.on('message', (message) => {
    if (!isMessage(message) || message.type !== PING) return;
    if (lostConnection || !belowFileLimit()) return;
    process.send!({ type: PONG });
  });
}

export interface HeartbeatOptions {
  timeoutMs: number;
  /** Called once for a listening worker silent for longer than timeoutMs. */
  onSilent(worker: Worker, silentMs: number): void;
}

/** In the primary: ping every listening worker, report those that stop answering. Returns a stop function. */
export function watchHeartbeats({ timeoutMs, onSilent }: HeartbeatOptions): () => void {
  const lastAnswer = new Map<Worker, number>();
  const onListening = (worker: Worker) => lastAnswer.set(worker, Date.now());
  const onExit = (worker: Worker) => lastAnswer.delete(worker);
  const onMessage = (worker: Worker, message: unknown) => {
    if (isMessage(message) && message.type === PONG && lastAnswer.has(worker)) lastAnswer.set(worker, Date.now());
  };
  cluster.on('listening', onListening);
  cluster.on('exit', onExit);
  cluster.on('message', onMessage);
  const timer = setInterval(
    () => {
      const now = Date.now();
      for (const [worker, last] of lastAnswer) {
        if (now - last > timeoutMs) {
          lastAnswer.delete(worker);
          onSilent(worker, now - last);
        } else if (worker.isConnected()) {
          worker.send({ type: PING });
        }
      }
    },
    Math.min(MAX_INTERVAL_MS, Math.max(100, Math.floor(timeoutMs / 4))),
  );
  timer.unref();
  return () => {
    clearInterval(timer);
    cluster.off('listening', onListening);
    cluster.off('exit', onExit);
    cluster.off('message', onMessage);
  };
}
