import type { Selectable } from 'kysely';
import type { User, UserStore } from '../types.js';
import { bool, int, parse, text, toColumns } from './columns.js';
import type { Executor } from './db.js';
import type { UserTable } from './schema.js';

const convert = { email_verified: int, blocked: int, user_metadata: text, app_metadata: text };

function fromRow(row: Selectable<UserTable>): User {
  return {
    user_id: row.user_id,
    connection: row.connection,
    email: row.email,
    email_verified: bool(row.email_verified),
    username: row.username,
    phone_number: row.phone_number,
    name: row.name,
    given_name: row.given_name,
    family_name: row.family_name,
    nickname: row.nickname,
    picture: row.picture,
    password_hash: row.password_hash,
    user_metadata: parse(row.user_metadata),
    app_metadata: parse(row.app_metadata),
    blocked: bool(row.blocked),
    created_at: row.created_at,
    updated_at: row.updated_at,
  };
}

export function userStore(db: Executor, now: () => number): UserStore {
  return {
    async get(userId) {
      const row = await db.selectFrom('users').selectAll().where('user_id', '=', userId).executeTakeFirst();
      return row && fromRow(row);
    },
    async findByEmail(connection, email) {
      const row = await db
        .selectFrom('users')
        .selectAll()
        .where('connection', '=', connection)
        .where('email', '=', email.toLowerCase())
        .executeTakeFirst();
      return row && fromRow(row);
    },
    async insert(user) {
      await db
        .insertInto('users')
        .values({
          ...toColumns(user, convert),
          email: user.email?.toLowerCase() ?? null,
          logins_count: 0,
          last_login: null,
        } as UserTable)
        .execute();
    },
    async update(userId, patch) {
      const columns = toColumns(patch, convert);
      if (typeof columns.email === 'string') columns.email = columns.email.toLowerCase();
      await db
        .updateTable('users')
        .set({ ...columns, updated_at: now() })
        .where('user_id', '=', userId)
        .execute();
    },
  };
}
