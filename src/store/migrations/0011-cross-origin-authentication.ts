// Auth0's cross-origin authentication (embedded login with auth0.js or Lock): the client setting that opts in,
// and the login tickets /co/authenticate hands out and /authorize redeems once (by hash, like codes).
import type { Kysely } from 'kysely';

const millis = 'bigint';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .alterTable('clients')
    .addColumn('cross_origin_authentication', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
  await db.schema
    .createTable('login_tickets')
    .addColumn('ticket_hash', 'text', (c) => c.primaryKey())
    .addColumn('client_id', 'text', (c) => c.notNull())
    .addColumn('connection', 'text', (c) => c.notNull())
    .addColumn('user_id', 'text', (c) => c.notNull().references('users.user_id').onDelete('cascade'))
    .addColumn('verifier_hash', 'text', (c) => c.notNull())
    .addColumn('created_at', millis, (c) => c.notNull())
    .addColumn('expires_at', millis, (c) => c.notNull())
    .execute();
  await db.schema.createIndex('login_tickets_expiry').on('login_tickets').column('expires_at').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('login_tickets').execute();
  await db.schema.alterTable('clients').dropColumn('cross_origin_authentication').execute();
}
