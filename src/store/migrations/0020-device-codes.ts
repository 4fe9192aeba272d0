// Device authorization (RFC 8628 §3.2): one row per device code, kept only as a hash; the user code in its
// normalised form (eight letters, no dash), unique among rows so a person's entry names one device. The
// row carries the poll rate state (§3.5: interval, last poll) and, once a person confirmed, whose tokens to
// issue. Rows are swept a day after they expire.
import type { Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('device_codes')
    .addColumn('device_code_hash', 'text', (c) => c.primaryKey())
    .addColumn('user_code', 'text', (c) => c.notNull().unique())
    .addColumn('client_id', 'text', (c) => c.notNull())
    .addColumn('scope', 'text', (c) => c.notNull())
    .addColumn('audience', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    // Seconds between polls; grows by 5 with every slow_down (RFC 8628 §3.5).
    .addColumn('poll_interval', 'integer', (c) => c.notNull())
    .addColumn('last_polled_at', 'bigint')
    // pending, approved or denied.
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('user_id', 'text')
    .addColumn('sid', 'text')
    .addColumn('auth_time', 'bigint')
    .addColumn('redeemed_at', 'bigint')
    .execute();
  await db.schema.createIndex('device_codes_expires_at').on('device_codes').column('expires_at').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('device_codes').execute();
}
