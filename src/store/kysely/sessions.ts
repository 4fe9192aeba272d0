// SSO sessions, by the hash of the cookie value.
import type { SessionStore } from '../types.js';
import type { Executor } from './db.js';

export function sessionStore(db: Executor): SessionStore {
  return {
    async create(idHash, session) {
      await db
        .insertInto('sessions')
        .values({ id_hash: idHash, ...session })
        .execute();
    },
    async get(idHash) {
      return db
        .selectFrom('sessions')
        .select(['sid', 'user_id', 'authenticated_at', 'created_at', 'last_active_at', 'expires_at'])
        .where('id_hash', '=', idHash)
        .executeTakeFirst();
    },
    async touch(idHash, at) {
      await db.updateTable('sessions').set({ last_active_at: at }).where('id_hash', '=', idHash).execute();
    },
    async delete(idHash) {
      await db.deleteFrom('sessions').where('id_hash', '=', idHash).execute();
    },
    async deleteBySid(sid) {
      await db.deleteFrom('sessions').where('sid', '=', sid).execute();
    },
    async deleteOfUser(userId) {
      await db.deleteFrom('sessions').where('user_id', '=', userId).execute();
    },
  };
}
