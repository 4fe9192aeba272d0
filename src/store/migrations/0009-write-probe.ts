// One row that /healthz rewrites, only after a write failed for lack of space or a read-only database, to
// learn whether writes work again. Its value is 256 KiB: a probe as small as a page could still fit in
// space that a larger failed write left behind, and report a full disk as healthy.
import { type Kysely, sql } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('write_probe')
    .addColumn('id', 'integer', (c) => c.primaryKey())
    .addColumn('data', 'text', (c) => c.notNull())
    .execute();
  await sql`insert into write_probe (id, data) values (1, '')`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('write_probe').execute();
}
