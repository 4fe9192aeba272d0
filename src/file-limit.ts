// The soft limit on open files (RLIMIT_NOFILE) of this process, from which the default connection cap is
// derived. Node has no getrlimit(); Linux publishes the limits in /proc/self/limits.
import { readFileSync } from 'node:fs';

/** The soft "Max open files" limit, or undefined where /proc is not there (or says "unlimited"). */
export function openFileLimit(): number | undefined {
  try {
    const line = /^Max open files\s+(\d+)/m.exec(readFileSync('/proc/self/limits', 'utf8'));
    return line ? Number(line[1]) : undefined;
  } catch {
    return undefined;
  }
}

/** Above this many open connections a worker's memory, not its file limit, is what runs out first. */
const CEILING = 10_000;
/** Where the file limit is unknown: what a default limit of 1024 would give. */
const FALLBACK = 896;

/**
 * The default cap on a worker's open connections: its file limit less a reserve for what else it opens
 * (database files and pool connections, logs, the cluster channel, modules loaded on first use), so that
 * connections alone can never bring it to the limit.
 */
export function defaultMaxConnections(fileLimit = openFileLimit()): number {
  if (fileLimit === undefined) return FALLBACK;
  const reserve = Math.max(128, Math.ceil(fileLimit / 8));
  return Math.min(CEILING, Math.max(16, fileLimit - reserve));
}
