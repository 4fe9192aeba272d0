// Caps on pending login transactions: each transaction remembers the network and browser that started it,
// indexed with its expiry so that counting an owner's pending ones reads only those; the owners table holds
// one lock row per network or browser, taken before the count, so parallel requests are counted in turn.
import type { Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('login_transactions').addColumn('ip', 'text').execute();
  await db.schema.alterTable('login_transactions').addColumn('browser', 'text').execute();
  await db.schema.createIndex('login_transactions_ip').on('login_transactions').columns(['ip', 'expires_at']).execute();
  await db.schema
    .createIndex('login_transactions_browser')
    .on('login_transactions')
    .columns(['browser', 'expires_at'])
    .execute();
  await db.schema
    .createTable('login_transaction_owners')
    .addColumn('owner', 'text', (c) => c.primaryKey())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('login_transaction_owners_expiry')
    .on('login_transaction_owners')
    .column('expires_at')
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('login_transaction_owners').execute();
  await db.schema.dropIndex('login_transactions_browser').execute();
  await db.schema.dropIndex('login_transactions_ip').execute();
  await db.schema.alterTable('login_transactions').dropColumn('browser').execute();
  await db.schema.alterTable('login_transactions').dropColumn('ip').execute();
}
