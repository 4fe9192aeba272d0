// Dialects: better-sqlite3 (WAL) for `sqlite:<file>`, pg for `postgres://…`.
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { createRequire } from 'node:module';
import type SQLiteDatabase from 'better-sqlite3';
import { Kysely, type LogEvent, Migrator, PostgresDialect, SqliteDialect, sql, type Transaction } from 'kysely';
import type PG from 'pg';
import type { Metrics } from '../../metrics/registry.js';
import { migrationProvider } from '../migrations/index.js';
import type { ChangeListener, ChangeListenerOptions } from '../types.js';
import { CHANNEL, listenForChanges } from './change-listener.js';
import { createPgPool } from './pg-pool.js';
import type { Database } from './schema.js';

export type Dialect = 'sqlite' | 'postgres';
export type Executor = Kysely<Database> | Transaction<Database>;

export interface Connection {
  db: Kysely<Database>;
  dialect: Dialect;
  /** The SQLite file, resolved; undefined for PostgreSQL. */
  sqliteFile?: string;
  /** PostgreSQL: listen for configuration changes on a connection of its own (change-listener.ts). */
  listen?: (options: ChangeListenerOptions) => ChangeListener;
}

export function sqliteFileOf(databaseUrl: string): string | undefined {
  return databaseUrl.startsWith('sqlite:') ? resolve(databaseUrl.slice('sqlite:'.length)) : undefined;
}

/**
 * better-sqlite3 compiles a statement on every prepare(); Kysely prepares each query it runs. The same few
 * hundred SQL strings recur, so keep their compiled statements (a statement runs to completion
 * synchronously, so one per SQL string is safe to reuse).
 */
function withStatementCache(database: SQLiteDatabase.Database) {
  const statements = new Map<string, SQLiteDatabase.Statement>();
  // SQLite rolls a transaction back by itself on some errors (SQLITE_FULL, SQLITE_IOERR, SQLITE_NOMEM: "Response
  // To Errors Within A Transaction" in SQLite's documentation); Kysely's rollback that follows would then fail
  // with "no transaction is active" and hide the error that matters. That rollback has nothing left to do.
  let nothing: SQLiteDatabase.Statement | undefined;
  return {
    prepare(text: string) {
      if (text === 'rollback' && !database.inTransaction) {
        nothing ??= database.prepare('select 1 where 0');
        return nothing;
      }
      let statement = statements.get(text);
      if (!statement) {
        if (statements.size >= 1000) statements.clear();
        statement = database.prepare(text);
        statements.set(text, statement);
      }
      return statement;
    },
    close: () => database.close(),
  };
}

// Each driver is loaded only when its kind of database is used: a SQLite server never loads pg.
const require = createRequire(import.meta.url);

/** Kysely's `log` option reports each query's duration (Kysely docs, "Logging"): the query latency histogram. */
function observeQueries(metrics: DatabaseMetrics | undefined) {
  if (!metrics) return undefined;
  const ok = metrics.queryDuration.labels('ok');
  const failed = metrics.queryDuration.labels('error');
  return (event: LogEvent) => (event.level === 'query' ? ok : failed).observe(event.queryDurationMillis / 1000);
}

export type DatabaseMetrics = Pick<Metrics, 'queryDuration' | 'sources'>;

export interface OpenOptions {
  /** Milliseconds another SQLite process's write lock is waited for (capped at 5 s). */
  busyTimeoutMs?: number;
  /** PostgreSQL: milliseconds a connection or a query is waited for before failing (none when unset). */
  timeoutMs?: number;
  /** The app's metrics: query latency and pool use. */
  metrics?: DatabaseMetrics;
}

export function openDatabase(databaseUrl: string, options: OpenOptions = {}): Connection {
  const busyTimeoutMs = options.busyTimeoutMs ?? 5000;
  const { metrics } = options;
  const log = observeQueries(metrics);
  const sqliteFile = sqliteFileOf(databaseUrl);
  if (sqliteFile) {
    mkdirSync(dirname(sqliteFile), { recursive: true });
    const SQLite = require('better-sqlite3') as typeof SQLiteDatabase;
    const database = new SQLite(sqliteFile);
    database.pragma('journal_mode = WAL');
    database.pragma('synchronous = NORMAL');
    database.pragma('foreign_keys = ON');
    // Other processes on the same file wait for a write lock instead of failing at once.
    database.pragma(`busy_timeout = ${Math.min(5000, busyTimeoutMs)}`);
    return {
      db: new Kysely<Database>({ dialect: new SqliteDialect({ database: withStatementCache(database) }), log }),
      dialect: 'sqlite',
      sqliteFile,
    };
  }
  const pg = require('pg') as typeof PG;
  const { pool, stats } = createPgPool(pg, databaseUrl, options.timeoutMs);
  if (metrics) metrics.sources.pool = stats;
  return {
    db: new Kysely<Database>({ dialect: new PostgresDialect({ pool }), log }),
    dialect: 'postgres',
    listen: (options) => listenForChanges(pg, databaseUrl, options),
  };
}

/**
 * Applies pending migrations, once, even when several processes or instances start together. On
 * PostgreSQL Kysely's Migrator holds an advisory lock for the whole run. On SQLite it takes no lock and
 * runs outside a transaction, so we run it on one connection inside BEGIN IMMEDIATE: the first process
 * holds the file's write lock until its migrations commit, the others wait (busy_timeout, then retries)
 * and find nothing left to do.
 */
export async function migrate(connection: Connection, lockTimeoutMs = 30_000): Promise<void> {
  const run = async (db: Kysely<Database>) => {
    const { error, results } = await new Migrator({ db, provider: migrationProvider }).migrateToLatest();
    if (error) {
      const failed = results?.find((r) => r.status === 'Error');
      throw new Error(`Database migration ${failed?.migrationName ?? ''} failed: ${(error as Error).message}`, {
        cause: error,
      });
    }
  };
  if (connection.dialect === 'postgres') return run(connection.db);
  const deadline = Date.now() + lockTimeoutMs;
  await connection.db.connection().execute(async (db) => {
    for (let attempt = 1; ; attempt++) {
      try {
        await sql`begin immediate`.execute(db);
        break;
      } catch (error) {
        // Another process holding the file's write lock past the bound: give up (start-errors.ts says so).
        if (!(error as { code?: string }).code?.startsWith('SQLITE_BUSY') || Date.now() >= deadline) throw error;
        await new Promise((resolve) => setTimeout(resolve, Math.min(50 * attempt, 1000)));
      }
    }
    try {
      await run(db);
      await sql`commit`.execute(db);
    } catch (error) {
      await sql`rollback`.execute(db).catch(() => {});
      throw error;
    }
  });
}

/**
 * Serialises transactions that take the same named lock, across processes and instances: updating the
 * lock's row first takes SQLite's write lock (no read-to-write upgrade later) and PostgreSQL's row lock.
 * The bumped counter is what caches compare (cache.ts). On PostgreSQL the transaction also notifies every
 * listening worker (change-listener.ts); PostgreSQL holds the notification until the commit and drops it on
 * a rollback, so no cache reloads before the change can be read, nor for a change that never happened.
 */
export async function takeLock(tx: Transaction<Database>, name: 'tenant' | 'signing_keys', dialect: Dialect) {
  await tx.updateTable('locks').set({ n: sql<number>`n + 1` }).where('name', '=', name).execute();
  if (dialect === 'postgres') await sql`select pg_notify(${CHANNEL}, ${name})`.execute(tx);
}
