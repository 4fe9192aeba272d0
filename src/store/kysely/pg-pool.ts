// The PostgreSQL pool, bounded in time: with the database down or the network cut, a request waits at most
// about GATEHOUSE_DATABASE_TIMEOUT for a connection or a query, then fails with a StorageUnavailableError
// that every surface answers 503 (docs/operations.md "Database outages"). The pool never grows past `max`:
// requests beyond it wait in the pool's queue, bounded by the same timeout.
import type { PostgresPool, PostgresPoolClient } from 'kysely';
import type PG from 'pg';
import { StorageUnavailableError, storageUnavailable } from '../unavailable.js';

/** At most this many connections per process (worker). */
export const POOL_MAX = 10;

/**
 * node-postgres's own errors when a connection is lost or a reply never comes (lib/client.js): they carry
 * no SQLSTATE or errno, only these messages.
 */
const lostConnection =
  /^(Connection terminated|Query read timeout|Client has encountered a connection error|Client was closed)/;

function connectionLost(error: unknown): boolean {
  if (storageUnavailable(error)?.problem === 'unreachable') return true;
  return error instanceof Error && lostConnection.test(error.message);
}

/** The pool Kysely uses, and its counts for /metrics. */
export interface BoundedPool {
  pool: PostgresPool;
  stats: () => { total: number; idle: number; waiting: number };
}

export function createPgPool(pg: typeof PG, databaseUrl: string, timeoutMs: number | undefined): BoundedPool {
  const pool = new pg.Pool({
    connectionString: databaseUrl,
    max: POOL_MAX,
    // Epoch milliseconds are bigint columns; they fit a JS number exactly.
    types: {
      getTypeParser: (oid: number, format?: 'text' | 'binary') =>
        oid === pg.types.builtins.INT8 ? Number : pg.types.getTypeParser(oid, format),
    },
    // TCP keep-alive finds a connection whose peer vanished (a host down, not a refused port) while it idles.
    keepAlive: true,
    ...(timeoutMs && {
      // Covers both opening a connection and waiting for a free one in the pool (pg-pool).
      connectionTimeoutMillis: timeoutMs,
      // The server cancels a statement running past the bound (SQLSTATE 57014)...
      statement_timeout: timeoutMs,
      // ...and the client stops waiting for a reply that never comes (the network went silent) a little after.
      query_timeout: timeoutMs + 1000,
    }),
  });
  // A client losing its connection must not crash the process. The pool reports an idle client's loss here; a
  // client a transaction holds between two queries reports it on itself (node-postgres, "Pool: error"), where
  // nothing else listens. Either way the query that needed it fails, the pool drops the client when it comes back,
  // and the next query gets a new connection.
  pool.on('error', () => {});
  pool.on('connect', (client) => client.on('error', () => {}));

  // Kysely keeps one connection object per client it gets (a WeakMap): hand it the same wrapper every time.
  const wrappers = new WeakMap<PG.PoolClient, { client: PostgresPoolClient; broken: boolean }>();
  const stats = () => ({ total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount });
  const bounded: PostgresPool = {
    async connect() {
      let client: PG.PoolClient;
      try {
        client = await pool.connect();
      } catch (error) {
        throw new StorageUnavailableError(error, 'unreachable');
      }
      let wrapper = wrappers.get(client);
      if (!wrapper) {
        const state = {
          broken: false,
          client: {
            query: (async (text: string, parameters: readonly unknown[]) => {
              try {
                return await client.query(text, parameters as unknown[]);
              } catch (error) {
                if (!connectionLost(error)) throw error;
                // 57014 (statement_timeout) leaves the connection usable; anything else here does not.
                if ((error as { code?: unknown }).code !== '57014') state.broken = true;
                throw new StorageUnavailableError(error, 'unreachable');
              }
            }) as unknown as PostgresPoolClient['query'],
            // A connection that was cut or went silent is closed, not handed to the next request.
            release: (destroy?: boolean) => client.release(destroy || state.broken),
          },
        };
        wrapper = state;
        wrappers.set(client, wrapper);
      }
      wrapper.broken = false;
      return wrapper.client;
    },
    end: () => pool.end(),
  };
  return { pool: bounded, stats };
}
