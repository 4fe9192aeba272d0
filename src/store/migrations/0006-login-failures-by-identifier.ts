// Brute-force protection (Auth0 "Brute-force protection") counts failed logins per identifier typed (connection
// and lower-case e-mail) and IP instead of per user id and IP, so that an e-mail without an account is counted
// and blocked like one that has an account. The counts of existing accounts are carried over, blocks included.
import { type Kysely, sql } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('login_failures_by_identifier')
    .addColumn('connection', 'text', (c) => c.notNull())
    .addColumn('identifier', 'text', (c) => c.notNull())
    .addColumn('ip', 'text', (c) => c.notNull())
    .addColumn('failures', 'integer', (c) => c.notNull())
    .addColumn('last_failure_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('login_failures_by_identifier_pk', ['connection', 'identifier', 'ip'])
    .execute();
  // E-mails are stored lower-case, which is how identifiers are keyed; users without an e-mail cannot log in.
  await sql`
    INSERT INTO login_failures_by_identifier (connection, identifier, ip, failures, last_failure_at)
    SELECT users.connection, users.email, login_failures.ip, login_failures.failures, login_failures.last_failure_at
    FROM login_failures JOIN users ON users.user_id = login_failures.user_id
    WHERE users.email IS NOT NULL`.execute(db);
  await db.schema.dropTable('login_failures').execute();
  await db.schema.alterTable('login_failures_by_identifier').renameTo('login_failures').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('login_failures_by_user')
    .addColumn('user_id', 'text', (c) => c.notNull().references('users.user_id').onDelete('cascade'))
    .addColumn('ip', 'text', (c) => c.notNull())
    .addColumn('failures', 'integer', (c) => c.notNull())
    .addColumn('last_failure_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('login_failures_pk', ['user_id', 'ip'])
    .execute();
  // Counts of e-mails without an account have no user id to go back to.
  await sql`
    INSERT INTO login_failures_by_user (user_id, ip, failures, last_failure_at)
    SELECT users.user_id, login_failures.ip, login_failures.failures, login_failures.last_failure_at
    FROM login_failures JOIN users ON users.connection = login_failures.connection AND users.email = login_failures.identifier`.execute(
    db,
  );
  await db.schema.dropTable('login_failures').execute();
  await db.schema.alterTable('login_failures_by_user').renameTo('login_failures').execute();
}
