// Password-change and e-mail-verification tickets (Auth0 Management API v2, "Tickets"; Auth0 docs, "Password
// Reset Flow" and "Verify Emails"): the link a person follows from an e-mail. Only the SHA-256 of the random
// token is stored; used_at marks a ticket spent (set in one statement, so a link works once), and the row is
// kept until it expires so a second visit can say that the link was already used.
import type { Kysely } from 'kysely';

const millis = 'bigint';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('user_tickets')
    .addColumn('ticket_hash', 'text', (c) => c.primaryKey())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('user_id', 'text', (c) => c.notNull().references('users.user_id').onDelete('cascade'))
    .addColumn('client_id', 'text')
    .addColumn('result_url', 'text')
    .addColumn('mark_email_verified', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('include_email', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('created_at', millis, (c) => c.notNull())
    .addColumn('expires_at', millis, (c) => c.notNull())
    .addColumn('used_at', millis)
    .execute();
  await db.schema.createIndex('user_tickets_expiry').on('user_tickets').column('expires_at').execute();
  await db.schema.createIndex('user_tickets_user').on('user_tickets').column('user_id').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('user_tickets').execute();
}
