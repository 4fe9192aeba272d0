// Delivery after the answer, durable and retried. email()/sms() render the message and insert it into the
// outbox, claimed by this worker, then resolve: the request answers without waiting for any server. The send
// starts on the next turn of the event loop (setImmediate). A sent row is deleted; a failed one gets its next
// attempt after a backoff and is given back. Every worker sweeps the outbox every few seconds and claims the
// rows that are due, or whose claim ran out because the worker that held it died, in one UPDATE
// (store/kysely/outbox.ts), so no message is sent by two workers at once and none is lost in a crash.
// A log line of a failure carries the kind, the recipient's domain and the error, never the message: its
// links and codes are secrets.
import { randomUUID } from 'node:crypto';
import type { OutboxMessage, OutboxStore } from '../store/types.js';
import { MAX_SEND_MS } from './smtp.js';

/** Attempt n+1 comes this long after attempt n failed; past the last, every hour. */
export const BACKOFF_MS = [10_000, 30_000, 120_000, 600_000, 1_800_000, 3_600_000];
/** A message not delivered this long after it was queued is dropped, with an error log line. */
export const GIVE_UP_AFTER_MS = 24 * 60 * 60 * 1000;
/** How long a claim lasts: longer than any one send may take. */
export const CLAIM_MS = MAX_SEND_MS + 30_000;
export const SWEEP_MS = 5_000;
const SWEEP_BATCH = 20;
/** What close() waits for sends under way before it leaves them to another worker's sweep. */
const CLOSE_WAIT_MS = 5_000;

export interface OutboxLogger {
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
  error(fields: object, message: string): void;
}

export interface OutboxOptions {
  store: OutboxStore;
  /** The channels this instance can deliver; a row of another channel waits for an instance that can. */
  senders: { email?: (message: OutboxMessage) => Promise<void>; sms?: (message: OutboxMessage) => Promise<void> };
  logger: OutboxLogger;
  now: () => number;
}

export type NewMessage = Pick<
  OutboxMessage,
  'channel' | 'kind' | 'recipient' | 'sender' | 'subject' | 'text_body' | 'html_body'
>;

const domainOf = (recipient: string) =>
  recipient.includes('@') ? recipient.slice(recipient.lastIndexOf('@') + 1) : undefined;

function errorText(error: unknown): string {
  const { code, responseCode, message } = error as { code?: string; responseCode?: number; message?: string };
  return [code, responseCode, message ?? String(error)]
    .filter((part) => part !== undefined)
    .join(' ')
    .slice(0, 500);
}

export class Outbox {
  private readonly inFlight = new Set<Promise<void>>();
  private readonly timer: NodeJS.Timeout;
  private closed = false;
  private readonly channels: OutboxMessage['channel'][];

  constructor(private readonly options: OutboxOptions) {
    this.channels = (['email', 'sms'] as const).filter((channel) => options.senders[channel]);
    this.timer = setInterval(() => this.sweep(), SWEEP_MS);
    this.timer.unref();
    // A start sends at once what a stopped or crashed process left due.
    setImmediate(() => this.sweep());
  }

  /** Inserts the message claimed by this worker and starts its delivery on the next turn of the event loop. */
  async queue(message: NewMessage): Promise<void> {
    const now = this.options.now();
    const row: OutboxMessage = {
      ...message,
      id: randomUUID(),
      attempts: 0,
      next_attempt_at: now,
      claimed_until: now + CLAIM_MS,
      last_error: null,
      created_at: now,
    };
    await this.options.store.add(row);
    setImmediate(() => this.track(this.deliver(row)));
  }

  /** Claims and delivers the rows that are due; a failure of the sweep itself is logged and tried again later. */
  sweep(): Promise<void> {
    if (this.closed || !this.channels.length) return Promise.resolve();
    const now = this.options.now();
    const sweep = this.options.store.claimDue(now, now + CLAIM_MS, SWEEP_BATCH, this.channels).then(
      async (rows) => {
        await Promise.all(rows.map((row) => this.deliver(row)));
      },
      (error: unknown) => this.options.logger.error({ delivery: { error: errorText(error) } }, 'outbox sweep failed'),
    );
    this.track(sweep);
    return sweep;
  }

  /** Stops sweeping and waits (briefly) for the sends under way. */
  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.timer);
    let timeout: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.all(this.inFlight),
      new Promise((resolve) => {
        timeout = setTimeout(resolve, CLOSE_WAIT_MS);
      }),
    ]);
    clearTimeout(timeout);
  }

  private track(work: Promise<void>) {
    this.inFlight.add(work);
    work.finally(() => this.inFlight.delete(work));
  }

  private async deliver(row: OutboxMessage): Promise<void> {
    const { store, logger, now } = this.options;
    const about = { id: row.id, channel: row.channel, kind: row.kind ?? undefined, domain: domainOf(row.recipient) };
    try {
      const send = this.options.senders[row.channel];
      if (!send) throw new Error(`no ${row.channel} delivery configured`);
      await send(row);
      await store.delete(row.id, row.claimed_until);
      logger.info({ delivery: { ...about, attempts: row.attempts + 1 } }, 'message delivered');
    } catch (error) {
      const attempts = row.attempts + 1;
      const at = now();
      const text = errorText(error);
      const nextAttemptAt = at + BACKOFF_MS[Math.min(attempts, BACKOFF_MS.length) - 1];
      if (nextAttemptAt - row.created_at > GIVE_UP_AFTER_MS) {
        await store.delete(row.id, row.claimed_until).catch(() => undefined);
        logger.error(
          { delivery: { ...about, attempts, error: text } },
          'message dropped: not delivered within 24 hours',
        );
        return;
      }
      logger.warn(
        { delivery: { ...about, attempts, retry_at: new Date(nextAttemptAt).toISOString(), error: text } },
        'message not delivered; will retry',
      );
      await store
        .retry(row.id, row.claimed_until, { attempts, nextAttemptAt, error: text })
        .catch((failure: unknown) =>
          logger.error({ delivery: { ...about, error: errorText(failure) } }, 'could not record a failed delivery'),
        );
    }
  }
}
