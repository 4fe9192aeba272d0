import type { ConnectionStore } from '../types.js';
import { parse, text, toColumns } from './columns.js';
import type { Executor } from './db.js';
import type { ConnectionTable } from './schema.js';

const convert = { options: text, enabled_clients: text };

export function connectionStore(db: Executor, now: () => number): ConnectionStore {
  return {
    async getByName(name) {
      const row = await db
        .selectFrom('connections')
        .select(['id', 'name', 'strategy', 'options', 'enabled_clients'])
        .where('name', '=', name)
        .executeTakeFirst();
      return row && { ...row, options: parse(row.options), enabled_clients: parse(row.enabled_clients) };
    },
    async list() {
      const rows = await db
        .selectFrom('connections')
        .select(['id', 'name', 'strategy', 'options', 'enabled_clients'])
        .orderBy('created_at')
        .orderBy('name')
        .execute();
      return rows.map((row) => ({
        ...row,
        options: parse<Record<string, unknown>>(row.options),
        enabled_clients: parse<string[]>(row.enabled_clients),
      }));
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
  };
}
