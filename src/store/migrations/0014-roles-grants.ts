// The Management API's roles, grants and user blocks: permissions given to a user directly (Auth0 "Assign
// Permissions to Users"), and an id for each consent so that it can be listed and deleted as a user grant.
import { type Kysely, sql } from 'kysely';
import { randomId } from '../../crypto/random.js';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('user_permissions')
    .addColumn('user_id', 'text', (c) => c.notNull().references('users.user_id').onDelete('cascade'))
    .addColumn('resource_server_identifier', 'text', (c) => c.notNull())
    .addColumn('permission_name', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('user_permissions_pk', ['user_id', 'resource_server_identifier', 'permission_name'])
    .execute();
  // SQLite cannot add a NOT NULL column without a default: the column is nullable, every row gets an id here,
  // and every new consent gets one when it is inserted.
  await db.schema.alterTable('consents').addColumn('id', 'text').execute();
  const rows = await sql<{ user_id: string; client_id: string; audience: string }>`
    SELECT user_id, client_id, audience FROM consents`.execute(db);
  for (const row of rows.rows) {
    await sql`UPDATE consents SET id = ${randomId('cgr_')}
      WHERE user_id = ${row.user_id} AND client_id = ${row.client_id} AND audience = ${row.audience}`.execute(db);
  }
  await db.schema.createIndex('consents_id').unique().on('consents').column('id').execute();
  await db.schema.createIndex('consents_client').on('consents').columns(['client_id', 'audience']).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('consents_client').execute();
  await db.schema.dropIndex('consents_id').execute();
  await db.schema.alterTable('consents').dropColumn('id').execute();
  await db.schema.dropTable('user_permissions').execute();
}
