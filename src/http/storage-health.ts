// What this process has seen of database writes failing for lack of space (or a read-only database), and of
// the database being unreachable. Every surface's error handler reports such errors here; /healthz asks.
// Owned by the app (one per process), so a worker that saw a write failure reports it until a write succeeds
// again. An unreachable database needs no such memory: /healthz pings it on every call.
import type { FastifyBaseLogger } from 'fastify';
import type { Store } from '../store/types.js';
import { type StorageUnavailableError, storageUnavailable } from '../store/unavailable.js';

/** Seconds a client is asked to wait (RFC 9110 §10.2.3 Retry-After) while the database cannot be written. */
export const RETRY_AFTER_SECONDS = 30;

export class StorageHealth {
  private failing = false;
  private loggedAt = -Infinity;

  constructor(
    private readonly store: Pick<Store, 'probeWrite'>,
    private readonly now: () => number,
    /** The cause is logged at most once per this interval, not once per failed request. */
    private readonly logIntervalMs = 60_000,
  ) {}

  /** The StorageUnavailableError the error stands for (recorded, cause logged once per interval), or undefined. */
  report(error: unknown, log: FastifyBaseLogger): StorageUnavailableError | undefined {
    const unavailable = storageUnavailable(error);
    if (!unavailable) return undefined;
    const unreachable = unavailable.problem === 'unreachable';
    if (!unreachable) this.failing = true;
    const at = this.now();
    if (at - this.loggedAt >= this.logIntervalMs) {
      this.loggedAt = at;
      log.error(
        { err: unavailable.cause },
        unreachable
          ? 'database unreachable (down, network cut or past GATEHOUSE_DATABASE_TIMEOUT); answering 503 until it answers'
          : 'database cannot be written (disk full or read-only); answering 503 until it can',
      );
    }
    return unavailable;
  }

  /**
   * Whether writes work. Only after a failure was seen does this write (a probe that changes nothing), so a
   * healthy server's health checks never write; the first probe that succeeds clears the failure.
   */
  async writable(log: FastifyBaseLogger): Promise<boolean> {
    if (!this.failing) return true;
    try {
      await this.store.probeWrite();
    } catch (error) {
      if (!this.report(error, log)) log.warn({ err: error }, 'write probe failed');
      return false;
    }
    this.failing = false;
    this.loggedAt = -Infinity;
    log.info('database writes work again');
    return true;
  }
}
