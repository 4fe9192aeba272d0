// Which database errors mean "the database cannot take writes now" (disk full, read-only), as opposed to
// a bug or a bad query. Those are answered 503 with Retry-After on every surface instead of 500: the
// request was fine and will succeed once the operator frees space (docs/operations.md "Disk full").

/** SQLite's result codes (https://www.sqlite.org/rescode.html) and PostgreSQL's SQLSTATEs (Appendix A). */
function meansNoWrites(code: string): boolean {
  return (
    code === 'SQLITE_FULL' || // the disk (or max_page_count) is full
    code.startsWith('SQLITE_READONLY') || // the file, its directory or the file system became read-only
    code === '53100' || // disk_full
    code === '25006' // read_only_sql_transaction: a read-only database or a hot standby
  );
}

/** The database can be read but not written (full disk, read-only file or database). */
export class StorageUnavailableError extends Error {
  constructor(cause: unknown) {
    super('The database cannot be written now', { cause });
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
  }
  return undefined;
}
