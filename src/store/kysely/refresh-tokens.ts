import { sql } from 'kysely';
import type { RefreshTokenStore } from '../types.js';
import type { Executor } from './db.js';

export function refreshTokenStore(db: Executor): RefreshTokenStore {
  return {
    async lock(tokenHash) {
      await db
        .updateTable('refresh_tokens')
        .set({ revoked_at: sql`revoked_at` })
        .where('token_hash', '=', tokenHash)
        .execute();
    },
    async insert(token) {
      await db.insertInto('refresh_tokens').values(token).execute();
    },
    async get(tokenHash) {
      return db.selectFrom('refresh_tokens').selectAll().where('token_hash', '=', tokenHash).executeTakeFirst();
    },
    async rotate(tokenHash, at) {
      // One statement: of two requests racing with the same token, exactly one gets the row.
      return db
        .updateTable('refresh_tokens')
        .set({ rotated_at: at, last_used_at: at })
        .where('token_hash', '=', tokenHash)
        .where('rotated_at', 'is', null)
        .where('revoked_at', 'is', null)
        .returningAll()
        .executeTakeFirst();
    },
    async touch(tokenHash, at) {
      await db.updateTable('refresh_tokens').set({ last_used_at: at }).where('token_hash', '=', tokenHash).execute();
    },
    async revokeFamily(familyId, at) {
      await db
        .updateTable('refresh_tokens')
        .set({ revoked_at: at })
        .where('family_id', '=', familyId)
        .where('revoked_at', 'is', null)
        .execute();
    },
    async revoke(tokenHash, at) {
      await db
        .updateTable('refresh_tokens')
        .set({ revoked_at: at })
        .where('token_hash', '=', tokenHash)
        .where('revoked_at', 'is', null)
        .execute();
    },
    async revokeOfUser(userId, at) {
      await db
        .updateTable('refresh_tokens')
        .set({ revoked_at: at })
        .where('user_id', '=', userId)
        .where('revoked_at', 'is', null)
        .execute();
    },
    async activeOfFamily(familyId) {
      return db
        .selectFrom('refresh_tokens')
        .selectAll()
        .where('family_id', '=', familyId)
        .where('rotated_at', 'is', null)
        .where('revoked_at', 'is', null)
        .orderBy('created_at', 'desc')
        .executeTakeFirst();
    },
  };
}
