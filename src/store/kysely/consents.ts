// Consent given by a user to a client for an audience: the accepted scopes.
import type { ConsentStore } from '../types.js';
import type { Executor } from './db.js';

const scopeList = (scope: string | undefined) => (scope ? scope.split(' ').filter(Boolean) : []);

export function consentStore(db: Executor, now: () => number): ConsentStore {
  const stored = (userId: string, clientId: string, audience: string) =>
    db
      .selectFrom('consents')
      .select('scope')
      .where('user_id', '=', userId)
      .where('client_id', '=', clientId)
      .where('audience', '=', audience)
      .executeTakeFirst();
  return {
    async scopes(userId, clientId, audience) {
      return scopeList((await stored(userId, clientId, audience))?.scope);
    },
    async grant(userId, clientId, audience, scopes) {
      const key = { user_id: userId, client_id: clientId, audience };
      // A union of scope lists, written only over the list it was made from (compare and set): a grant racing
      // another one for the same user, client and audience finds the row changed, reads it again and retries,
      // so neither loses the other's scopes.
      for (;;) {
        const row = await stored(userId, clientId, audience);
        const scope = [...new Set([...scopeList(row?.scope), ...scopes])].join(' ');
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
