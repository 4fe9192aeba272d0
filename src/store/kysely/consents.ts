// Consent given by a user to a client for an audience: the accepted scopes.
import type { ConsentStore } from '../types.js';
import type { Executor } from './db.js';

export function consentStore(db: Executor, now: () => number): ConsentStore {
  return {
    async scopes(userId, clientId, audience) {
      const row = await db
        .selectFrom('consents')
        .select('scope')
        .where('user_id', '=', userId)
        .where('client_id', '=', clientId)
        .where('audience', '=', audience)
        .executeTakeFirst();
      return row ? row.scope.split(' ').filter(Boolean) : [];
    },
    async grant(userId, clientId, audience, scopes) {
      const key = { user_id: userId, client_id: clientId, audience };
      // A union of scope lists, written only over the list it was made from (compare and set): a grant racing
      // another one for the same user, client and audience finds the row changed, reads it again and retries,
      // so neither loses the other's scopes.
      for (;;) {
        const row = await db
          .selectFrom('consents')
          .select('scope')
          .where('user_id', '=', userId)
          .where('client_id', '=', clientId)
          .where('audience', '=', audience)
          .executeTakeFirst();
        const current = row ? row.scope.split(' ').filter(Boolean) : [];
        const scope = [...new Set([...current, ...scopes])].join(' ');
        const at = now();
        if (!row) {
          const inserted = await db
            .insertInto('consents')
            .values({ ...key, scope, updated_at: at })
            .onConflict((oc) => oc.columns(['user_id', 'client_id', 'audience']).doNothing())
            .executeTakeFirst();
          if (Number(inserted.numInsertedOrUpdatedRows ?? 0) > 0) return;
          continue;
        }
        if (scope === row.scope) return;
        const updated = await db
          .updateTable('consents')
          .set({ scope, updated_at: at })
          .where('user_id', '=', userId)
          .where('client_id', '=', clientId)
          .where('audience', '=', audience)
          .where('scope', '=', row.scope)
          .executeTakeFirst();
        if (Number(updated.numUpdatedRows) > 0) return;
      }
    },
  };
}
