import type { ClientGrant, ClientGrantStore } from '../types.js';
import { parse, text, toColumns } from './columns.js';
import type { Executor } from './db.js';
import { atOrAfter, fetchPage } from './paging.js';
import type { ClientGrantTable } from './schema.js';

const convert = { scope: text };
const fields = ['id', 'client_id', 'audience', 'scope'] as const;

const fromRow = (row: Pick<ClientGrantTable, (typeof fields)[number]>): ClientGrant => ({
  ...row,
  scope: parse<string[]>(row.scope),
});

export function clientGrantStore(db: Executor, now: () => number): ClientGrantStore {
  return {
    async find(clientId, audience) {
      const row = await db
        .selectFrom('client_grants')
        .select(fields)
        .where('client_id', '=', clientId)
        .where('audience', '=', audience)
        .executeTakeFirst();
      return row && fromRow(row);
    },
    async get(id) {
      const row = await db.selectFrom('client_grants').select(fields).where('id', '=', id).executeTakeFirst();
      return row && fromRow(row);
    },
    async list(filter, page) {
      let query = db.selectFrom('client_grants');
      if (filter.client_id !== undefined) query = query.where('client_id', '=', filter.client_id);
      if (filter.audience !== undefined) query = query.where('audience', '=', filter.audience);
      return fetchPage(
        page,
        async ({ offset, limit, from }) => {
          const rows = await (from ? query.where(atOrAfter('client_grants', from)) : query)
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
    async delete(id) {
      const result = await db.deleteFrom('client_grants').where('id', '=', id).executeTakeFirst();
      return Number(result.numDeletedRows) > 0;
    },
  };
}
