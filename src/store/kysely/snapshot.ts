// Test mode's reset (POST /test/reset): the rows of every table that makes up the tenant, read once after
// the start, and written back in one transaction. Parents come before the tables whose foreign keys point at
// them; rows go back as the driver read them (JSON is text, booleans 0/1, times numbers or bigint strings).
import { sql } from 'kysely';
import type { TenantSnapshot } from '../types.js';
import { type Connection, takeLock } from './db.js';
import type { Database } from './schema.js';

/** Every table but locks (the counters caches compare), write_probe and Kysely's own migration tables. */
const TABLES: (keyof Database)[] = [
  'tenant',
  'resource_servers',
  'clients',
  'client_grants',
  'connections',
  'users',
  'roles',
  'role_permissions',
  'user_roles',
  'user_permissions',
  'signing_keys',
  'branding_templates',
  'email_templates',
  'consents',
  'sessions',
  'refresh_tokens',
  'login_transactions',
  'login_transaction_owners',
  'login_tickets',
  'user_tickets',
  'authorization_codes',
  'revoked_tokens',
  'login_failures',
  'ip_throttles',
  'passwordless_codes',
  'device_codes',
  'client_assertion_jtis',
  'logs',
  'outbox',
  'test_outbox',
  'jobs',
];

/** Rows per INSERT: well below SQLite's 32766 bound parameters for any of these tables. */
const BATCH = 100;

export async function snapshotTenant({ db }: Connection): Promise<TenantSnapshot> {
  return db.transaction().execute(async (tx) => {
    const snapshot: TenantSnapshot = [];
    for (const table of TABLES) {
      const rows = await sql<Record<string, unknown>>`select * from ${sql.table(table)}`.execute(tx);
      snapshot.push({ table, rows: rows.rows });
    }
    return snapshot;
  });
}

export async function restoreTenant({ db, dialect }: Connection, snapshot: TenantSnapshot): Promise<void> {
  await db.transaction().execute(async (tx) => {
    await takeLock(tx, 'tenant', dialect);
    await takeLock(tx, 'signing_keys', dialect);
    for (const table of [...TABLES].reverse()) await tx.deleteFrom(table).execute();
    for (const { table, rows } of snapshot) {
      for (let i = 0; i < rows.length; i += BATCH) {
        await tx
          .insertInto(table as keyof Database)
          // biome-ignore lint/suspicious/noExplicitAny: rows of any of the tables, written back as they were read
          .values(rows.slice(i, i + BATCH) as any)
          .execute();
      }
    }
  });
}
