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
      const current = await this.scopes(userId, clientId, audience);
      const scope = [...new Set([...current, ...scopes])].join(' ');
      const at = now();
      await db
        .insertInto('consents')
        .values({ user_id: userId, client_id: clientId, audience, scope, updated_at: at })
        .onConflict((oc) => oc.columns(['user_id', 'client_id', 'audience']).doUpdateSet({ scope, updated_at: at }))
        .execute();
    },
  };
}
