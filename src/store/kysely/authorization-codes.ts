// Authorization codes, by hash: consumed once in one statement; what a redemption issued is recorded on the
// row so that a replay can revoke it.
import { sql } from 'kysely';
import type { AuthorizationCodeStore } from '../types.js';
import type { Executor } from './db.js';

export function authorizationCodeStore(db: Executor, now: () => number): AuthorizationCodeStore {
  return {
    async insert(code) {
      await db.insertInto('authorization_codes').values(code).execute();
      if (Math.random() < 0.01) {
        // Keep consumed codes for a day, so a late replay is still recognised as one.
        await db
          .deleteFrom('authorization_codes')
          .where('expires_at', '<', now() - 86_400_000)
          .execute();
      }
    },
    async consume(codeHash, at, issued) {
      return db
        .updateTable('authorization_codes')
        .set({
          consumed_at: at,
          issued_jti: issued.jti,
          issued_expires_at: issued.expiresAt,
          issued_family_id: issued.familyId,
        })
        .where('code_hash', '=', codeHash)
        .where('consumed_at', 'is', null)
        .returningAll()
        .executeTakeFirst();
    },
    async markReplayed(codeHash, at) {
      return db
        .updateTable('authorization_codes')
        .set({ replayed_at: sql<number>`COALESCE(replayed_at, ${at})` })
        .where('code_hash', '=', codeHash)
        .where('consumed_at', 'is not', null)
        .returningAll()
        .executeTakeFirst();
    },
    async wasReplayed(codeHash) {
      const row = await db
        .selectFrom('authorization_codes')
        .select('replayed_at')
        .where('code_hash', '=', codeHash)
        .executeTakeFirst();
      return row !== undefined && row.replayed_at !== null;
    },
    async lockFamilyCode(familyId) {
      const row = await db
        .updateTable('authorization_codes')
        .set({ replayed_at: sql<number | null>`replayed_at` })
        .where('issued_family_id', '=', familyId)
        .returning('replayed_at')
        .executeTakeFirst();
      return { replayed: row !== undefined && row.replayed_at !== null };
    },
    async get(codeHash) {
      return db.selectFrom('authorization_codes').selectAll().where('code_hash', '=', codeHash).executeTakeFirst();
    },
  };
}
