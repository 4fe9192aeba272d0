// Suspicious IP throttling (Auth0 docs: "Suspicious IP Throttling", /docs/secure/attack-protection/suspicious-ip-throttling):
// per IP and kind of attempt, how much of the allowance is used, leaking back over time.
import type { Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('ip_throttles')
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('ip', 'text', (c) => c.notNull())
    .addColumn('used', 'double precision', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('ip_throttles_pk', ['kind', 'ip'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('ip_throttles').execute();
}
