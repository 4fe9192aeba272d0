import type { ClientAssertionStore } from '../types.js';
import type { Executor } from './db.js';

export function clientAssertionStore(db: Executor, now: () => number): ClientAssertionStore {
  return {
    async remember(clientId, jti, expiresAt) {
      // RFC 7523 §3 (7): a jti is single use while the assertion is valid. The primary key makes the
      // check and the record one atomic statement, across every instance on this database.
      const inserted = await db
        .insertInto('client_assertion_jtis')
        .values({ client_id: clientId, jti, expires_at: expiresAt })
        .onConflict((oc) => oc.columns(['client_id', 'jti']).doNothing())
        .executeTakeFirst();
      if (Math.random() < 0.01) {
        await db.deleteFrom('client_assertion_jtis').where('expires_at', '<', now()).execute();
      }
      return Number(inserted.numInsertedOrUpdatedRows ?? 0n) === 1;
    },
  };
}
