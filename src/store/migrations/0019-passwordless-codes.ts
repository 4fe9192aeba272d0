// Passwordless one-time codes (Auth0 docs: "Passwordless Connections", "Passwordless API"): one row per
// connection and address (lower-cased e-mail or E.164 phone number), so a new code replaces the previous one.
// The code is kept only as an HMAC under a key derived from the master secret: six digits are too few for a
// plain hash to resist an offline search.
import type { Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('passwordless_codes')
    .addColumn('connection', 'text', (c) => c.notNull())
    .addColumn('identifier', 'text', (c) => c.notNull())
    .addColumn('code_hash', 'text', (c) => c.notNull())
    .addColumn('client_id', 'text', (c) => c.notNull())
    // The /authorize parameters a magic link completes (JSON), null for a code.
    .addColumn('auth_params', 'text')
    // A hash of the cookie of the browser that started the sign-in, when it must complete in that browser.
    .addColumn('binding', 'text')
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .addColumn('used_at', 'bigint')
    .addPrimaryKeyConstraint('passwordless_codes_pk', ['connection', 'identifier'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('passwordless_codes').execute();
}
