// A client's is_token_endpoint_ip_header_trusted (Auth0's "Trust Token Endpoint IP Header"): whether the
// auth0-forwarded-for header it sends to /oauth/token names the end user's IP for attack protection.
import type { Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .alterTable('clients')
    .addColumn('is_token_endpoint_ip_header_trusted', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('clients').dropColumn('is_token_endpoint_ip_header_trusted').execute();
}
