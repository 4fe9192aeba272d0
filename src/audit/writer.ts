// The audit log's writer: record() builds the row, writes it as one structured log line and buffers it; the
// buffer goes to the database in one multi-row INSERT every FLUSH_MS, or as soon as it holds MAX_BATCH events,
// and on close. So recording costs a request no database round trip (the token endpoint records every token).
// What this costs: a process that crashes loses the events of its last flush interval (a fraction of a second),
// which the log lines still carry. Each flush also deletes a bounded batch of rows past retention.
import type { LogEvent, LogStore } from '../store/types.js';
import { type AuditEvent, type AuditLog, eventTypes } from './events.js';
import { LogIdSource } from './log-id.js';

export const FLUSH_MS = 200;
export const MAX_BATCH = 500;
/** Rows past retention deleted per sweep; a full batch sweeps again at the next flush, else a minute later. */
const SWEEP_BATCH = 1000;
const SWEEP_EVERY_MS = 60_000;
const DAY_MS = 24 * 60 * 60 * 1000;

export interface AuditLogger {
  info(object: object, message: string): void;
  error(object: object, message: string): void;
}

export interface AuditWriterOptions {
  store: LogStore;
  logger: AuditLogger;
  now: () => number;
  retentionDays: number;
}

const MAX_TEXT = 1024;
const text = (value: string | undefined) => (value === undefined ? null : value.slice(0, MAX_TEXT));

export class AuditWriter implements AuditLog {
  private buffer: LogEvent[] = [];
  private timer: NodeJS.Timeout | undefined;
  private readonly ids = new LogIdSource();
  private readonly writes = new Set<Promise<void>>();
  private nextSweepAt = 0;

  constructor(private readonly options: AuditWriterOptions) {}

  record(event: AuditEvent): void {
    const date = this.options.now();
    const row: LogEvent = {
      log_id: this.ids.next(date),
      date,
      type: event.type,
      description: text(event.description ?? eventTypes[event.type]),
      ip: text(event.ip),
      user_agent: text(event.user_agent),
      client_id: text(event.client_id),
      client_name: text(event.client_name),
      user_id: text(event.user_id),
      user_name: text(event.user_name),
      connection: text(event.connection),
      connection_id: text(event.connection_id),
      audience: text(event.audience),
      scope: text(event.scope),
      strategy: text(event.strategy),
      details: event.details ?? null,
    };
    this.options.logger.info({ audit: row }, 'audit event');
    this.buffer.push(row);
    if (this.buffer.length >= MAX_BATCH) this.flush();
    else if (!this.timer) {
      this.timer = setTimeout(() => this.flush(), FLUSH_MS);
      this.timer.unref();
    }
  }

  /** Writes what is buffered now; resolves when that write has ended (a failure is logged, not thrown). */
  flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    const rows = this.buffer;
    if (!rows.length) return Promise.all(this.writes).then(() => undefined);
    this.buffer = [];
    const write = this.write(rows).finally(() => this.writes.delete(write));
    this.writes.add(write);
    return write;
  }

  /** Writes everything buffered and waits for every write in progress: the last step of a clean shutdown. */
  async close(): Promise<void> {
    await this.flush();
    await Promise.all(this.writes);
  }

  private async write(rows: LogEvent[]): Promise<void> {
    try {
      await this.options.store.insert(rows);
    } catch (error) {
      // The rows' log lines were written already; the database lost them (a full disk, an outage).
      this.options.logger.error({ err: error, events: rows.length }, 'audit events not stored');
      return;
    }
    await this.sweep();
  }

  private async sweep(): Promise<void> {
    const at = this.options.now();
    if (at < this.nextSweepAt) return;
    try {
      const before = at - this.options.retentionDays * DAY_MS;
      const deleted = await this.options.store.deleteOlderThan(before, SWEEP_BATCH);
      this.nextSweepAt = deleted === SWEEP_BATCH ? 0 : at + SWEEP_EVERY_MS;
    } catch (error) {
      this.nextSweepAt = at + SWEEP_EVERY_MS;
      this.options.logger.error({ err: error }, 'audit retention sweep failed');
    }
  }
}
