// RFC 6749 §4.1.2: a code used twice revokes what it issued, the refresh token family included. The code
// row records the family its redemption starts and whether it was replayed.
import type { Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  // One column per statement: SQLite's ALTER TABLE adds one column at a time.
  await db.schema.alterTable('authorization_codes').addColumn('issued_family_id', 'text').execute();
  await db.schema.alterTable('authorization_codes').addColumn('replayed_at', 'bigint').execute();
  await db.schema
    .createIndex('authorization_codes_family')
    .on('authorization_codes')
    .column('issued_family_id')
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('authorization_codes_family').execute();
  await db.schema.alterTable('authorization_codes').dropColumn('replayed_at').execute();
  await db.schema.alterTable('authorization_codes').dropColumn('issued_family_id').execute();
}
