// Login transactions: an /authorize request waiting for the login or consent page, owned by a network and a
// browser whose pending ones are capped; read until they expire, consumed once.
import type { CreateTransactionResult, LoginTransactionStore } from '../types.js';
import type { Executor } from './db.js';

/** How many expired transactions (and owner rows) each new transaction deletes: bounded work per request. */
export const SWEEP_BATCH = 100;

export function loginTransactionStore(db: Executor, now: () => number): LoginTransactionStore {
  const columns = ['id', 'client_id', 'request', 'created_at', 'expires_at'] as const;
  const parse = (row: { id: string; client_id: string; request: string; created_at: number; expires_at: number }) => ({
    ...row,
    request: JSON.parse(row.request) as unknown,
  });

  /** An owner's pending transactions: how many, and when the oldest expires. */
  const pending = (tx: Executor, column: 'ip' | 'browser', value: string, at: number) =>
    tx
      .selectFrom('login_transactions')
      .select((eb) => [eb.fn.countAll<number>().as('count'), eb.fn.min('expires_at').as('first')])
      .where(column, '=', value)
      .where('expires_at', '>', at)
      .executeTakeFirstOrThrow();

  /**
   * Deletes at most SWEEP_BATCH expired transactions and owner rows. Every new transaction sweeps, so expired
   * rows are gone soon after they expire, however many there are, without one request deleting them all.
   */
  async function sweep(at: number) {
    await db
      .deleteFrom('login_transactions')
      .where('id', 'in', (eb) =>
        eb.selectFrom('login_transactions').select('id').where('expires_at', '<=', at).limit(SWEEP_BATCH),
      )
      .execute();
    // The expiry is checked again on the row itself: an owner row that a transaction just renewed stays.
    await db
      .deleteFrom('login_transaction_owners')
      .where('expires_at', '<=', at)
      .where('owner', 'in', (eb) =>
        eb.selectFrom('login_transaction_owners').select('owner').where('expires_at', '<=', at).limit(SWEEP_BATCH),
      )
      .execute();
  }

  return {
    async create(transaction, owners, limits) {
      const insert = async (tx: Executor): Promise<CreateTransactionResult> => {
        // The owners' rows first: an upsert takes SQLite's write lock before anything is read (no read-to-write
        // upgrade), and PostgreSQL's row locks, always the network's before the browser's (no deadlock). A
        // parallel request of the same owner waits here, then counts this transaction.
        const keys = [`ip:${owners.ip}`, ...(owners.browser ? [`browser:${owners.browser}`] : [])];
        await tx
          .insertInto('login_transaction_owners')
          .values(keys.map((owner) => ({ owner, expires_at: transaction.expires_at })))
          .onConflict((oc) => oc.column('owner').doUpdateSet({ expires_at: (eb) => eb.ref('excluded.expires_at') }))
          .execute();
        const at = now();
        const byIp = await pending(tx, 'ip', owners.ip, at);
        if (byIp.count >= limits.perIp) return { created: false, retryAt: Number(byIp.first) };
        if (owners.browser) {
          const byBrowser = await pending(tx, 'browser', owners.browser, at);
          if (byBrowser.count >= limits.perBrowser) return { created: false, retryAt: Number(byBrowser.first) };
        }
        await tx
          .insertInto('login_transactions')
          .values({
            ...transaction,
            request: JSON.stringify(transaction.request),
            ip: owners.ip,
            browser: owners.browser ?? null,
          })
          .execute();
        return { created: true };
      };
      const result = db.isTransaction ? await insert(db) : await db.transaction().execute(insert);
      // Outside the owners' lock: sweeping is nobody's turn to wait for.
      if (result.created) await sweep(now());
      return result;
    },
    async get(id) {
      const row = await db
        .selectFrom('login_transactions')
        .select(columns)
        .where('id', '=', id)
        .where('expires_at', '>', now())
        .executeTakeFirst();
      return row && parse(row);
    },
    async update(id, request) {
      await db
        .updateTable('login_transactions')
        .set({ request: JSON.stringify(request) })
        .where('id', '=', id)
        .execute();
    },
    async consume(id) {
      const row = await db
        .deleteFrom('login_transactions')
        .where('id', '=', id)
        .where('expires_at', '>', now())
        .returning(columns)
        .executeTakeFirst();
      return row && parse(row);
    },
  };
}
