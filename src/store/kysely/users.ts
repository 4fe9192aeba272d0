import { PostgresAdapter, type Selectable, sql } from 'kysely';
import type { StoredUser, User, UserActivity, UserListOptions, UserSortField, UserStore } from '../types.js';
import { bool, int, parse, text, toColumns } from './columns.js';
import type { Dialect, Executor } from './db.js';
import type { UserTable } from './schema.js';
import { whereOf } from './user-filter.js';

/** Sort fields a user may lack. */
const NULLABLE = new Set<UserSortField>([
  'last_login',
  'email',
  'name',
  'given_name',
  'family_name',
  'nickname',
  'username',
  'phone_number',
  'picture',
  'last_ip',
]);
const convert = { email_verified: int, phone_verified: int, blocked: int, user_metadata: text, app_metadata: text };

/** Rows per INSERT in insertMany: 20 columns × 500 stays well under both dialects' parameter limits. */
const BATCH = 500;

function fromRow(row: Selectable<UserTable>): StoredUser {
  return {
    user_id: row.user_id,
    connection: row.connection,
    email: row.email,
    email_verified: bool(row.email_verified),
    username: row.username,
    phone_number: row.phone_number,
    phone_verified: bool(row.phone_verified),
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
    logins_count: row.logins_count,
    last_login: row.last_login,
    last_ip: row.last_ip,
  };
}

function toRow(user: User & Partial<UserActivity>): UserTable {
  return {
    ...(toColumns(user, convert) as unknown as UserTable),
    email: user.email?.toLowerCase() ?? null,
    logins_count: user.logins_count ?? 0,
    last_login: user.last_login ?? null,
    last_ip: user.last_ip ?? null,
  };
}

const dialectOf = (db: Executor): Dialect =>
  db.getExecutor().adapter instanceof PostgresAdapter ? 'postgres' : 'sqlite';

export function userStore(db: Executor, now: () => number): UserStore {
  const dialect = dialectOf(db);
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
    async listByEmail(email) {
      const rows = await db
        .selectFrom('users')
        .selectAll()
        .where('email', '=', email.toLowerCase())
        .orderBy('created_at')
        .orderBy('user_id')
        .execute();
      return rows.map(fromRow);
    },
    async list(options: UserListOptions) {
      const where = options.filter && whereOf(dialect, options.filter);
      let query = db.selectFrom('users').selectAll();
      if (where) query = query.where(where);
      const { field, descending } = options.sort;
      const direction = descending ? 'desc' : 'asc';
      // Users without the field come last either way (SQLite and PostgreSQL disagree on where NULLs sort).
      if (NULLABLE.has(field)) query = query.orderBy(sql`${sql.ref(field)} is null`).orderBy(field, direction);
      else query = query.orderBy(field, direction);
      // user_id breaks ties, so that pages neither repeat nor skip users.
      if (field !== 'user_id') query = query.orderBy('user_id', direction);
      const rows = await query.limit(options.limit).offset(options.offset).execute();
      let total = rows.length;
      if (options.withTotal) {
        let count = db.selectFrom('users').select((eb) => eb.fn.countAll<number | string>().as('n'));
        if (where) count = count.where(where);
        total = Number((await count.executeTakeFirstOrThrow()).n);
      }
      return { users: rows.map(fromRow), total };
    },
    async insert(user) {
      await db.insertInto('users').values(toRow(user)).execute();
    },
    async insertMany(users) {
      const run = async (tx: Executor) => {
        for (let i = 0; i < users.length; i += BATCH) {
          await tx
            .insertInto('users')
            .values(users.slice(i, i + BATCH).map(toRow))
            .execute();
        }
      };
      // All or nothing: inside the caller's transaction if there is one, else in one of its own.
      if (db.isTransaction) await run(db);
      else await db.transaction().execute(run);
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
    async delete(userId) {
      // Pending authorization codes name the user without a foreign key; the rest cascades.
      await db.deleteFrom('authorization_codes').where('user_id', '=', userId).execute();
      const result = await db.deleteFrom('users').where('user_id', '=', userId).executeTakeFirst();
      return Number(result.numDeletedRows) > 0;
    },
    async recordLogin(userId, at, ip) {
      await db
        .updateTable('users')
        .set((eb) => ({ logins_count: eb('logins_count', '+', 1), last_login: at, last_ip: ip }))
        .where('user_id', '=', userId)
        .execute();
    },
    async countActiveSince(since) {
      const row = await db
        .selectFrom('users')
        .select((eb) => eb.fn.countAll<number | string>().as('n'))
        .where('last_login', '>=', since)
        .executeTakeFirstOrThrow();
      return Number(row.n);
    },
    async findForImport(connection, userIds, emails) {
      if (!userIds.length && !emails.length) return [];
      const lower = emails.map((email) => email.toLowerCase());
      const rows = await db
        .selectFrom('users')
        .selectAll()
        .where((eb) =>
          eb.or([
            ...(userIds.length ? [eb('user_id', 'in', userIds)] : []),
            ...(lower.length ? [eb.and([eb('connection', '=', connection), eb('email', 'in', lower)])] : []),
          ]),
        )
        .execute();
      return rows.map(fromRow);
    },
    async listAfter(connection, after, limit) {
      let query = db.selectFrom('users').selectAll();
      if (connection !== undefined) query = query.where('connection', '=', connection);
      if (after !== undefined) query = query.where('user_id', '>', after);
      const rows = await query.orderBy('user_id').limit(limit).execute();
      return rows.map(fromRow);
    },
  };
}
