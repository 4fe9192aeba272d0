// Consent given by a user to a client for an audience: the accepted scopes (Auth0's user grants).
import { randomId } from '../../crypto/random.js';
import type { Consent, ConsentFilter, ConsentStore } from '../types.js';
import type { Executor } from './db.js';

const scopeList = (scope: string | undefined) => (scope ? scope.split(' ').filter(Boolean) : []);

export function consentStore(db: Executor, now: () => number): ConsentStore {
  const matching = (filter: ConsentFilter) => {
    let query = db.selectFrom('consents');
    if (filter.user_id !== undefined) query = query.where('user_id', '=', filter.user_id);
    if (filter.client_id !== undefined) query = query.where('client_id', '=', filter.client_id);
    if (filter.audience !== undefined) query = query.where('audience', '=', filter.audience);
    return query;
  };
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
            .values({ ...key, id: randomId('cgr_'), scope, updated_at: at })
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
    async list(filter, page) {
      const [rows, total] = await Promise.all([
        matching(filter)
          .select(['id', 'user_id', 'client_id', 'audience', 'scope'])
          .orderBy('user_id')
          .orderBy('client_id')
          .orderBy('audience')
          .offset(page.offset)
          .limit(page.limit)
          .execute(),
        matching(filter)
          .select((eb) => eb.fn.countAll().as('n'))
          .executeTakeFirst(),
      ]);
      const consents: Consent[] = rows.map((row) => ({ ...row, scope: scopeList(row.scope) }));
      return { consents, total: Number(total?.n ?? 0) };
    },
    async delete(id) {
      const deleted = await db.deleteFrom('consents').where('id', '=', id).executeTakeFirst();
      return Number(deleted.numDeletedRows) > 0;
    },
    async deleteOfUser(userId) {
      await db.deleteFrom('consents').where('user_id', '=', userId).execute();
    },
  };
}
