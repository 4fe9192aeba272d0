// GATEHOUSE_SECRET, or for SQLite a secret generated once beside the database file.
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

export interface MasterSecret {
  secret: string;
  /** Set when the secret was generated now: the caller warns about it. */
  generatedAt?: string;
}

export function resolveMasterSecret(configured: string | undefined, sqliteFile: string | undefined): MasterSecret {
  if (configured) return { secret: configured };
  if (!sqliteFile) throw new Error('GATEHOUSE_SECRET is required');
  const path = join(dirname(sqliteFile), 'gatehouse.secret');
  try {
    return { secret: readFileSync(path, 'utf8').trim() };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  mkdirSync(dirname(path), { recursive: true });
  const secret = randomBytes(32).toString('base64url');
  // 'wx' fails if another process created it first; then read theirs.
  try {
    writeFileSync(path, `${secret}\n`, { mode: 0o600, flag: 'wx' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return { secret: readFileSync(path, 'utf8').trim() };
    throw error;
  }
  return { secret, generatedAt: path };
}
