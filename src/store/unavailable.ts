// Which database errors mean "the database cannot take writes now" (disk full, read-only) or "the database
// cannot be reached now" (PostgreSQL down, the network cut, a query past GATEHOUSE_DATABASE_TIMEOUT), as
// opposed to a bug or a bad query. Those are answered 503 with Retry-After on every surface instead of 500:
// the request was fine and will succeed once the operator frees space or the database is back
// (docs/operations.md "Disk full" and "Database outages").

/** SQLite's result codes (https://www.sqlite.org/rescode.html) and PostgreSQL's SQLSTATEs (Appendix A). */
function meansNoWrites(code: string): boolean {
  return (
    code === 'SQLITE_FULL' || // the disk (or max_page_count) is full
    code.startsWith('SQLITE_READONLY') || // the file, its directory or the file system became read-only
    code === '53100' || // disk_full
    code === '25006' // read_only_sql_transaction: a read-only database or a hot standby
  );
}

/**
 * PostgreSQL's SQLSTATEs (Appendix A) that mean the connection, not the query, failed: class 08 (connection
 * exception), 57014 (query_canceled: statement_timeout), 57P01–57P03 (the server shutting down or starting).
 */
function meansUnreachable(code: string): boolean {
  return code.startsWith('08') || code === '57014' || /^57P0[123]$/.test(code);
}

/** Node's socket errors while connecting to or talking with the database server. */
const socketErrors = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH']);

/** Why the database cannot serve: it cannot be written, or it cannot be reached at all. */
export type StorageProblem = 'unwritable' | 'unreachable';

/** The database can be read but not written (full disk, read-only file or database), or not reached at all. */
export class StorageUnavailableError extends Error {
  constructor(
    cause: unknown,
    readonly problem: StorageProblem = 'unwritable',
  ) {
    super(problem === 'unwritable' ? 'The database cannot be written now' : 'The database cannot be reached now', {
      cause,
    });
    this.name = 'StorageUnavailableError';
  }
}

/**
 * The StorageUnavailableError this error stands for, or undefined. Looks through `cause` chains: a
 * failed migration or a Kysely error wraps the driver's error.
 */
export function storageUnavailable(error: unknown): StorageUnavailableError | undefined {
  for (
    let e = error, depth = 0;
    e && typeof e === 'object' && depth < 5;
    e = (e as { cause?: unknown }).cause, depth++
  ) {
    if (e instanceof StorageUnavailableError) return e;
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && meansNoWrites(code)) return new StorageUnavailableError(e);
    if (typeof code === 'string' && (socketErrors.has(code) || meansUnreachable(code)))
      return new StorageUnavailableError(e, 'unreachable');
  }
  return undefined;
}
