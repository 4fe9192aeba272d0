import type { Selectable } from 'kysely';
import type { Patch, ResourceServer, ResourceServerStore } from '../types.js';
import { bool, int, parse, text, toColumns, withInert } from './columns.js';
import type { Executor } from './db.js';
import type { ResourceServerTable } from './schema.js';

const convert = {
  scopes: text,
  allow_offline_access: int,
  skip_consent_for_verifiable_first_party_clients: int,
  enforce_policies: int,
  is_system: int,
  inert: text,
};

function fromRow(row: Selectable<ResourceServerTable>): ResourceServer {
  return withInert(
    {
      id: row.id,
      identifier: row.identifier,
      name: row.name,
      scopes: parse(row.scopes),
      signing_alg: row.signing_alg as ResourceServer['signing_alg'],
      token_lifetime: row.token_lifetime,
      token_lifetime_for_web: row.token_lifetime_for_web,
      allow_offline_access: bool(row.allow_offline_access),
      skip_consent_for_verifiable_first_party_clients: bool(row.skip_consent_for_verifiable_first_party_clients),
      enforce_policies: bool(row.enforce_policies),
      token_dialect: row.token_dialect as ResourceServer['token_dialect'],
      is_system: bool(row.is_system),
    },
    row.inert,
  );
}

export function resourceServerStore(db: Executor, now: () => number): ResourceServerStore {
  return {
    async getByIdentifier(identifier) {
      const row = await db
        .selectFrom('resource_servers')
        .selectAll()
        .where('identifier', '=', identifier)
        .executeTakeFirst();
      return row && fromRow(row);
    },
    async get(idOrIdentifier) {
      const row = await db
        .selectFrom('resource_servers')
        .selectAll()
        .where((eb) => eb.or([eb('id', '=', idOrIdentifier), eb('identifier', '=', idOrIdentifier)]))
        .executeTakeFirst();
      return row && fromRow(row);
    },
    async list(filter, page) {
      let query = db.selectFrom('resource_servers');
      if (filter.identifiers?.length) query = query.where('identifier', 'in', [...filter.identifiers]);
      const rows = await query
        .selectAll()
        .orderBy('created_at')
        .orderBy('id')
        .offset(page.offset)
        .limit(page.limit)
        .execute();
      const total = await query.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
      return { items: rows.map(fromRow), total: Number(total.n) };
    },
    async insert(resourceServer) {
      const at = now();
      await db
        .insertInto('resource_servers')
        .values({ ...toColumns(resourceServer, convert), created_at: at, updated_at: at } as ResourceServerTable)
        .execute();
    },
    async update(id, patch: Patch<ResourceServer>) {
      await db
        .updateTable('resource_servers')
        .set({ ...toColumns(patch, convert), updated_at: now() })
        .where('id', '=', id)
        .execute();
    },
    async delete(id) {
      const api = await db.selectFrom('resource_servers').select('identifier').where('id', '=', id).executeTakeFirst();
      if (!api) return false;
      // Role permissions name the API by identifier without a foreign key; client grants have one, but are
      // deleted here too rather than relying on SQLite's foreign_keys pragma.
      await db.deleteFrom('role_permissions').where('resource_server_identifier', '=', api.identifier).execute();
      await db.deleteFrom('client_grants').where('audience', '=', api.identifier).execute();
      await db.deleteFrom('resource_servers').where('id', '=', id).execute();
      return true;
    },
  };
}
