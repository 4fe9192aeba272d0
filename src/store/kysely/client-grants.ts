import type { ClientGrantStore } from '../types.js';
import { parse, text, toColumns } from './columns.js';
import type { Executor } from './db.js';
import type { ClientGrantTable } from './schema.js';

const convert = { scope: text };

export function clientGrantStore(db: Executor, now: () => number): ClientGrantStore {
  return {
    async find(clientId, audience) {
      const row = await db
        .selectFrom('client_grants')
        .select(['id', 'client_id', 'audience', 'scope'])
        .where('client_id', '=', clientId)
        .where('audience', '=', audience)
        .executeTakeFirst();
      return row && { ...row, scope: parse<string[]>(row.scope) };
    },
    async insert(grant) {
      const at = now();
      await db
        .insertInto('client_grants')
        .values({ ...toColumns(grant, convert), created_at: at, updated_at: at } as ClientGrantTable)
        .execute();
    },
    async update(id, patch) {
      await db
        .updateTable('client_grants')
        .set({ ...toColumns(patch, convert), updated_at: now() })
        .where('id', '=', id)
        .execute();
    },
  };
}
