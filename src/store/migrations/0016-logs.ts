// The audit log (Auth0 Management API v2, "Logs"): one row per event in Auth0's fields. log_id sorts by time
// (audit/log-id.ts), so checkpoint reads (`from`) are a range of the primary key; `date` serves the retention
// sweep and the date ranges of a search, `user_id` a user's own log.
import type { Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  let table = db.schema
    .createTable('logs')
    .addColumn('log_id', 'text', (c) => c.primaryKey())
    .addColumn('date', 'bigint', (c) => c.notNull())
    .addColumn('type', 'text', (c) => c.notNull());
  for (const column of [
    'description',
    'ip',
    'user_agent',
    'client_id',
    'client_name',
    'user_id',
    'user_name',
    'connection',
    'connection_id',
    'audience',
    'scope',
    'strategy',
    'details',
  ])
    table = table.addColumn(column, 'text');
  await table.execute();
  await db.schema.createIndex('logs_date').on('logs').column('date').execute();
  await db.schema.createIndex('logs_user').on('logs').columns(['user_id', 'log_id']).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('logs').execute();
}
