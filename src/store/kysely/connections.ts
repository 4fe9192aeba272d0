import type { Selectable } from 'kysely';
import type { Connection, ConnectionStore } from '../types.js';
import { parse, text, toColumns, withInert } from './columns.js';
import type { Executor } from './db.js';
import { atOrAfter, fetchPage } from './paging.js';
import type { ConnectionTable } from './schema.js';

const convert = { options: text, enabled_clients: text, inert: text };
const fields = ['id', 'name', 'strategy', 'options', 'enabled_clients', 'inert'] as const;

const fromRow = (row: Pick<Selectable<ConnectionTable>, (typeof fields)[number]>): Connection =>
  withInert(
    {
      id: row.id,
      name: row.name,
      strategy: row.strategy,
      options: parse<Record<string, unknown>>(row.options),
      enabled_clients: parse<string[]>(row.enabled_clients),
    },
    row.inert,
  );

export function connectionStore(db: Executor, now: () => number): ConnectionStore {
  return {
    async getByName(name) {
      const row = await db.selectFrom('connections').select(fields).where('name', '=', name).executeTakeFirst();
      return row && fromRow(row);
    },
    async get(id) {
      const row = await db.selectFrom('connections').select(fields).where('id', '=', id).executeTakeFirst();
      return row && fromRow(row);
    },
    async list() {
      const rows = await db.selectFrom('connections').select(fields).orderBy('created_at').orderBy('name').execute();
      return rows.map(fromRow);
    },
    async page(filter, page) {
      let query = db.selectFrom('connections');
      if (filter.strategy?.length) query = query.where('strategy', 'in', filter.strategy);
      if (filter.name !== undefined) query = query.where('name', '=', filter.name);
      return fetchPage(
        page,
        async ({ offset, limit, from }) => {
          const rows = await (from ? query.where(atOrAfter('connections', from)) : query)
            .select(fields)
            .orderBy('created_at')
            .orderBy('id')
            .offset(offset)
            .limit(limit)
            .execute();
          return rows.map(fromRow);
        },
        async () => Number((await query.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n),
      );
    },
    async insert(connection) {
      const at = now();
      await db
        .insertInto('connections')
        .values({ ...toColumns(connection, convert), created_at: at, updated_at: at } as ConnectionTable)
        .execute();
    },
    async update(id, patch) {
      await db
        .updateTable('connections')
        .set({ ...toColumns(patch, convert), updated_at: now() })
        .where('id', '=', id)
        .execute();
    },
    async delete(id) {
      const connection = await db.selectFrom('connections').select('name').where('id', '=', id).executeTakeFirst();
      if (!connection) return false;
      // Users name their connection without a foreign key; their sessions, tokens, codes, consents and role
      // memberships reference the user and go with it (ON DELETE CASCADE).
      await db.deleteFrom('users').where('connection', '=', connection.name).execute();
      await db.deleteFrom('login_failures').where('connection', '=', connection.name).execute();
      await db.deleteFrom('connections').where('id', '=', id).execute();
      return true;
    },
  };
}
