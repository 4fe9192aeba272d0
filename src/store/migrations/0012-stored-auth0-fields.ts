// Auth0 fields that Gatehouse accepts, keeps and returns without acting on them (docs/management-api.md,
// "Stored without effect"): one JSON object per client, API and connection, so that a tool that round-trips
// Auth0's objects (the Deploy CLI, Terraform) reads back what it wrote.
import type { Kysely } from 'kysely';

const tables = ['clients', 'resource_servers', 'connections'] as const;

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const table of tables)
    await db.schema
      .alterTable(table)
      .addColumn('inert', 'text', (c) => c.notNull().defaultTo('{}'))
      .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of tables) await db.schema.alterTable(table).dropColumn('inert').execute();
}
