// Dialects: better-sqlite3 (WAL) for `sqlite:<file>`, pg for `postgres://…`.
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import SQLite from 'better-sqlite3';
import { Kysely, Migrator, PostgresDialect, SqliteDialect, sql, type Transaction } from 'kysely';
import pg from 'pg';
import { migrationProvider } from '../migrations/index.js';
import type { Database } from './schema.js';

export type Dialect = 'sqlite' | 'postgres';
export type Executor = Kysely<Database> | Transaction<Database>;

export interface Connection {
  db: Kysely<Database>;
  dialect: Dialect;
  /** The SQLite file, resolved; undefined for PostgreSQL. */
  sqliteFile?: string;
}

export function sqliteFileOf(databaseUrl: string): string | undefined {
  return databaseUrl.startsWith('sqlite:') ? resolve(databaseUrl.slice('sqlite:'.length)) : undefined;
}

export function openDatabase(databaseUrl: string): Connection {
  const sqliteFile = sqliteFileOf(databaseUrl);
  if (sqliteFile) {
    mkdirSync(dirname(sqliteFile), { recursive: true });
    const database = new SQLite(sqliteFile);
    database.pragma('journal_mode = WAL');
    database.pragma('synchronous = NORMAL');
    database.pragma('foreign_keys = ON');
    // Other processes on the same file wait for a write lock instead of failing at once.
    database.pragma('busy_timeout = 5000');
    return { db: new Kysely<Database>({ dialect: new SqliteDialect({ database }) }), dialect: 'sqlite', sqliteFile };
  }
  const pool = new pg.Pool({
    connectionString: databaseUrl,
    max: 10,
    // Epoch milliseconds are bigint columns; they fit a JS number exactly.
    types: {
      getTypeParser: (oid: number, format?: 'text' | 'binary') =>
        oid === pg.types.builtins.INT8 ? Number : pg.types.getTypeParser(oid, format),
    },
  });
  // An idle client losing its connection must not crash the process; the next query reconnects.
  pool.on('error', () => {});
  return { db: new Kysely<Database>({ dialect: new PostgresDialect({ pool }) }), dialect: 'postgres' };
}

/**
 * Applies pending migrations. On PostgreSQL Kysely holds an advisory lock for the whole run, so two
 * instances starting at once migrate once; on SQLite the migration transaction's first write takes the
 * file's write lock and busy_timeout makes the other process wait, with a retry for the rare
 * SQLITE_BUSY that a read-then-write upgrade can still raise.
 */
export async function migrate(connection: Connection): Promise<void> {
  const migrator = new Migrator({ db: connection.db, provider: migrationProvider });
  for (let attempt = 1; ; attempt++) {
    const { error, results } = await migrator.migrateToLatest();
    if (!error) return;
    const busy = (error as { code?: string }).code?.startsWith('SQLITE_BUSY');
    if (!busy || attempt >= 20) {
      const failed = results?.find((r) => r.status === 'Error');
      throw new Error(`Database migration ${failed?.migrationName ?? ''} failed: ${(error as Error).message}`, {
        cause: error,
      });
    }
    await new Promise((r) => setTimeout(r, 50 * attempt));
  }
}

/**
 * Serialises transactions that take the same named lock, across processes and instances: updating the
 * lock's row first takes SQLite's write lock (no read-to-write upgrade later) and PostgreSQL's row lock.
 */
export async function takeLock(tx: Transaction<Database>, name: 'tenant' | 'signing_keys'): Promise<void> {
  await tx.updateTable('locks').set({ n: sql<number>`n + 1` }).where('name', '=', name).execute();
}
