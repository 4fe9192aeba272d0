// PostgreSQL LISTEN/NOTIFY for configuration changes (docs/operations.md "Many instances"). Every locked
// transaction sends a notification on CHANNEL (db.ts takeLock); PostgreSQL delivers it only when that
// transaction commits ("NOTIFY" in PostgreSQL's documentation), to every session that listens. Each worker
// listens on one connection of its own (a pooled one could not: LISTEN belongs to the session), so a change
// made through any instance reaches every other instance's caches within moments instead of at its next
// counter check. The check stays (cache.ts): a notification sent while this connection was down is lost.
import type PG from 'pg';
import type { ChangeListener, ChangeListenerOptions } from '../types.js';

export const CHANNEL = 'gatehouse_changes';
export const APPLICATION_NAME = 'gatehouse change listener';

/** First wait before reconnecting, then doubled on each failure up to MAX_DELAY_MS. */
const MIN_DELAY_MS = 100;
const MAX_DELAY_MS = 10_000;

/**
 * Listens on a dedicated connection; on a lost connection reconnects after a growing, jittered delay, and on each
 * (re)connection calls onChange once, since whatever was sent meanwhile was missed. Never throws: a failure is
 * reported to onLost and retried until close().
 */
export function listenForChanges(
  pg: typeof PG,
  connectionString: string,
  { onChange, onLost }: ChangeListenerOptions,
): ChangeListener {
  let closed = false;
  let client: PG.Client | undefined;
  let timer: NodeJS.Timeout | undefined;
  let failures = 0;
  let connected: () => void = () => {};
  const ready = new Promise<void>((resolve) => (connected = resolve));

  function lost(lostClient: PG.Client, error: unknown) {
    if (client !== lostClient) return; // reported already (an 'error' is often followed by 'end')
    client = undefined;
    lostClient.end().catch(() => {});
    if (closed) return;
    onLost?.(error);
    const delay = Math.min(MAX_DELAY_MS, MIN_DELAY_MS * 2 ** failures++);
    // Jitter: the workers of every instance lose the connection together when the database restarts.
    timer = setTimeout(connect, delay / 2 + Math.random() * (delay / 2));
    timer.unref();
  }

  async function connect() {
    timer = undefined;
    if (closed) return;
    const current = new pg.Client({
      connectionString,
      // Named in pg_stat_activity, so an operator can tell these sessions apart from the pool's.
      application_name: APPLICATION_NAME,
      keepAlive: true,
      connectionTimeoutMillis: 10_000,
    });
    client = current;
    current.on('error', (error) => lost(current, error));
    current.on('end', () => lost(current, new Error('the listening connection ended')));
    current.on('notification', (message) => message.channel === CHANNEL && onChange());
    try {
      await current.connect();
      await current.query(`LISTEN ${CHANNEL}`);
    } catch (error) {
      lost(current, error);
      return;
    }
    if (client !== current) return;
    failures = 0;
    onChange();
    connected();
  }

  void connect();
  return {
    ready,
    async close() {
      closed = true;
      if (timer) clearTimeout(timer);
      const current = client;
      client = undefined;
      await current?.end().catch(() => {});
    },
  };
}
