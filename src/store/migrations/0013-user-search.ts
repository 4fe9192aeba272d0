// Users at scale (Management API /api/v2/users): the IP address of the last sign-in (Auth0's last_ip), Auth0's
// phone_verified flag, and the
// indexes that keep a million users quick to page through and to find by e-mail (exact or prefix) in any
// connection. E-mails are stored lower-case, so the plain column is the case-insensitive key.
import { type Kysely, PostgresAdapter, sql } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('users').addColumn('last_ip', 'text').execute();
  await db.schema
    .alterTable('users')
    .addColumn('phone_verified', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
  // Listings page in (created_at, user_id) order: the index gives the first pages without a sort.
  await db.schema.createIndex('users_created').on('users').columns(['created_at', 'user_id']).execute();
  // Prefix searches (email:jo*) become a range scan. PostgreSQL uses an index for LIKE 'jo%' only with the
  // pattern operator class (or the C collation); SQLite uses a plain index for GLOB 'jo*' on a BINARY column.
  const postgres = db.getExecutor().adapter instanceof PostgresAdapter;
  await db.schema
    .createIndex('users_email')
    .on('users')
    .expression(postgres ? sql`email text_pattern_ops` : sql`email`)
    .execute();
  // /stats/active-users counts sign-ins of the last 30 days.
  await db.schema.createIndex('users_last_login').on('users').column('last_login').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('users_last_login').execute();
  await db.schema.dropIndex('users_email').execute();
  await db.schema.dropIndex('users_created').execute();
  await db.schema.alterTable('users').dropColumn('phone_verified').execute();
  await db.schema.alterTable('users').dropColumn('last_ip').execute();
}
