// Why the database could not be opened at start, in one sentence that names the file (or the PostgreSQL
// host and database, never the password) and says what to do. The CLI prints it without a stack.
import { statSync } from 'node:fs';
import { sqliteFileOf } from './kysely/db.js';

export class DatabaseStartError extends Error {
  constructor(message: string, cause: unknown) {
    super(message, { cause });
    this.name = 'DatabaseStartError';
  }
}

const codeOf = (error: unknown) => String((error as { code?: unknown })?.code ?? '');

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

function describeSqlite(file: string, error: unknown, lockTimeoutSeconds: number): string | undefined {
  const code = codeOf(error);
  if (code === 'SQLITE_CANTOPEN' && isDirectory(file)) {
    return `The SQLite database ${file} is a directory: set GATEHOUSE_DATABASE_URL to sqlite:<a file path>, e.g. sqlite:${file}/gatehouse.db.`;
  }
  if (
    code.startsWith('SQLITE_READONLY') ||
    code === 'SQLITE_CANTOPEN' ||
    code === 'SQLITE_PERM' ||
    code === 'SQLITE_AUTH' ||
    code === 'EACCES' ||
    code === 'EROFS' ||
    code === 'EPERM'
  ) {
    return (
      `The SQLite database ${file} cannot be written (read-only file, directory or file system): Gatehouse needs to write ` +
      'the file and create its -wal and -shm files beside it; give the user running Gatehouse write access to both, or use another path.'
    );
  }
  if (code === 'SQLITE_NOTADB' || code.startsWith('SQLITE_CORRUPT')) {
    return (
      `The SQLite database ${file} is corrupt or truncated (not a usable SQLite database): restore it from a backup, ` +
      'or point GATEHOUSE_DATABASE_URL at another file (a new file starts an empty tenant).'
    );
  }
  if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) {
    return (
      `The SQLite database ${file} is locked by another process and stayed locked for ${lockTimeoutSeconds} s: stop the ` +
      'process holding it (a tool with an open transaction, a backup) and start again, or raise GATEHOUSE_DATABASE_LOCK_TIMEOUT.'
    );
  }
  if (code === 'ENOSPC' || code === 'SQLITE_FULL') {
    return `The disk holding the SQLite database ${file} is full: free some space and start again.`;
  }
  return undefined;
}

function describePostgres(databaseUrl: string, error: unknown): string | undefined {
  const url = new URL(databaseUrl);
  const where = `PostgreSQL at ${url.hostname}:${url.port || '5432'} (database "${decodeURIComponent(url.pathname.slice(1))}")`;
  const user = decodeURIComponent(url.username);
  const code = codeOf(error);
  // PostgreSQL's SQLSTATEs (Appendix A) and Node's connection errors.
  if (
    ['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ECONNRESET'].includes(code)
  ) {
    return `Cannot reach ${where} (${code}): check that the server runs and the host and port in GATEHOUSE_DATABASE_URL.`;
  }
  // node-postgres's own timeouts carry no code (lib/client.js, pg-pool), only their messages.
  const message = error instanceof Error ? error.message : '';
  if (
    code === '57014' ||
    /^(timeout exceeded when trying to connect|Query read timeout|Connection terminated due to connection timeout)/.test(
      message,
    )
  ) {
    return (
      `${where} did not answer within GATEHOUSE_DATABASE_TIMEOUT (${message || code}): check that the server runs and ` +
      'is not overloaded, or raise GATEHOUSE_DATABASE_TIMEOUT.'
    );
  }
  if (code === '28P01' || code === '28000') {
    return `${where} refused the login of user "${user}": check the user name and password in GATEHOUSE_DATABASE_URL.`;
  }
  if (code === '3D000')
    return `${where} does not exist: create it (CREATE DATABASE) or fix the database name in GATEHOUSE_DATABASE_URL.`;
  if (code === '42501')
    return `User "${user}" may not create or change the tables of ${where}: grant it the rights on the database.`;
  if (code === '53100') return `The disk of ${where} is full: free some space and start again.`;
  if (code === '25006') return `${where} is read-only (or a standby): point GATEHOUSE_DATABASE_URL at the primary.`;
  return undefined;
}

/** A DatabaseStartError for an error of opening or migrating the database, or undefined for anything else. */
export function describeStartError(
  error: unknown,
  databaseUrl: string,
  lockTimeoutSeconds: number,
): DatabaseStartError | undefined {
  if (error instanceof DatabaseStartError) return error;
  for (let e = error, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const file = sqliteFileOf(databaseUrl);
    const message = file ? describeSqlite(file, e, lockTimeoutSeconds) : describePostgres(databaseUrl, e);
    if (message) return new DatabaseStartError(message, error);
  }
  return undefined;
}
