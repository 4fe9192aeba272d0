// Access token ids revoked before they expire (a replayed code's), remembered until then.
import type { RevokedTokenStore } from '../types.js';
import type { Executor } from './db.js';

export function revokedTokenStore(db: Executor, now: () => number): RevokedTokenStore {
  return {
    async revoke(jti, expiresAt) {
      await db
        .insertInto('revoked_tokens')
        .values({ jti, expires_at: expiresAt })
        .onConflict((oc) => oc.column('jti').doNothing())
        .execute();
      if (Math.random() < 0.01) await db.deleteFrom('revoked_tokens').where('expires_at', '<', now()).execute();
    },
    async isRevoked(jti) {
      return Boolean(await db.selectFrom('revoked_tokens').select('jti').where('jti', '=', jti).executeTakeFirst());
    },
  };
}
