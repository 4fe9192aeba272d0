import { sql } from 'kysely';
import type { RefreshToken, RefreshTokenStore } from '../types.js';
import type { Executor } from './db.js';
import type { RefreshTokenTable } from './schema.js';

/** A row as the domain's token: `expires_at` only on a token imported with one. */
function tokenOf(row: RefreshTokenTable | undefined): RefreshToken | undefined {
  if (!row) return undefined;
  const { expires_at, ...token } = row;
  return expires_at == null ? token : { ...token, expires_at: Number(expires_at) };
}

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
      return tokenOf(
        await db.selectFrom('refresh_tokens').selectAll().where('token_hash', '=', tokenHash).executeTakeFirst(),
      );
    },
    async rotate(tokenHash, at) {
      // One statement: of two requests racing with the same token, exactly one gets the row.
      const row = await db
        .updateTable('refresh_tokens')
        .set({ rotated_at: at, last_used_at: at })
        .where('token_hash', '=', tokenHash)
        .where('rotated_at', 'is', null)
        .where('revoked_at', 'is', null)
        .returningAll()
        .executeTakeFirst();
      return tokenOf(row);
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
      const row = await db
        .selectFrom('refresh_tokens')
        .selectAll()
        .where('family_id', '=', familyId)
        .where('rotated_at', 'is', null)
        .where('revoked_at', 'is', null)
        .orderBy('created_at', 'desc')
        .executeTakeFirst();
      return tokenOf(row);
    },
  };
}
