import type { Selectable } from 'kysely';
import type { Client, ClientStore, Patch } from '../types.js';
import { bool, int, parse, text, toColumns, withInert } from './columns.js';
import type { Executor } from './db.js';
import { atOrAfter, fetchPage } from './paging.js';
import type { ClientTable } from './schema.js';

const convert = {
  is_first_party: int,
  is_token_endpoint_ip_header_trusted: int,
  grant_types: text,
  callbacks: text,
  allowed_logout_urls: text,
  web_origins: text,
  allowed_origins: text,
  cross_origin_authentication: int,
  refresh_token: text,
  jwt_configuration: text,
  client_authentication_methods: (v: unknown) => (v === null ? null : text(v)),
  inert: text,
};

function columns(patch: Patch<Client>): Record<string, unknown> {
  const { sealed_client_secret, ...rest } = patch;
  const out = toColumns(rest, convert);
  if (sealed_client_secret !== undefined) out.client_secret = sealed_client_secret;
  return out;
}

function fromRow(row: Selectable<ClientTable>): Client {
  return withInert(
    {
      client_id: row.client_id,
      name: row.name,
      description: row.description,
      app_type: row.app_type as Client['app_type'],
      token_endpoint_auth_method: row.token_endpoint_auth_method as Client['token_endpoint_auth_method'],
      sealed_client_secret: row.client_secret,
      is_first_party: bool(row.is_first_party),
      is_token_endpoint_ip_header_trusted: bool(row.is_token_endpoint_ip_header_trusted),
      grant_types: parse(row.grant_types),
      callbacks: parse(row.callbacks),
      allowed_logout_urls: parse(row.allowed_logout_urls),
      web_origins: parse(row.web_origins),
      allowed_origins: parse(row.allowed_origins),
      cross_origin_authentication: bool(row.cross_origin_authentication),
      logo_uri: row.logo_uri,
      refresh_token: parse(row.refresh_token),
      jwt_configuration: parse(row.jwt_configuration),
      client_authentication_methods:
        row.client_authentication_methods === null ? null : parse(row.client_authentication_methods),
    },
    row.inert,
  );
}

export function clientStore(db: Executor, now: () => number): ClientStore {
  return {
    async get(clientId) {
      const row = await db.selectFrom('clients').selectAll().where('client_id', '=', clientId).executeTakeFirst();
      return row && fromRow(row);
    },
    async insert(client) {
      const at = now();
      await db
        .insertInto('clients')
        .values({ client_id: client.client_id, ...columns(client), created_at: at, updated_at: at } as ClientTable)
        .execute();
    },
    async update(clientId, patch) {
      await db
        .updateTable('clients')
        .set({ ...columns(patch), updated_at: now() })
        .where('client_id', '=', clientId)
        .execute();
    },
    async browserOrigins() {
      const rows = await db.selectFrom('clients').select(['web_origins', 'allowed_origins']).execute();
      return [
        ...new Set(rows.flatMap((r) => [...parse<string[]>(r.web_origins), ...parse<string[]>(r.allowed_origins)])),
      ];
    },
    async list(filter, page) {
      let query = db.selectFrom('clients');
      if (filter.app_type?.length) query = query.where('app_type', 'in', filter.app_type);
      if (filter.is_first_party !== undefined) query = query.where('is_first_party', '=', int(filter.is_first_party));
      const found = await fetchPage(
        page,
        async ({ offset, limit, from }) => {
          const rows = await (from ? query.where(atOrAfter('clients', from, 'client_id')) : query)
            .selectAll()
            .orderBy('created_at')
            .orderBy('client_id')
            .offset(offset)
            .limit(limit)
            .execute();
          return rows.map((row) => ({ id: row.client_id, client: fromRow(row) }));
        },
        async () => Number((await query.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n),
      );
      return { ...found, items: found.items.map((item) => item.client) };
    },
    async delete(clientId) {
      const result = await db.deleteFrom('clients').where('client_id', '=', clientId).executeTakeFirst();
      return Number(result.numDeletedRows) > 0;
    },
    async count() {
      const row = await db
        .selectFrom('clients')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .executeTakeFirstOrThrow();
      return Number(row.n);
    },
  };
}
