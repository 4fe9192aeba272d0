// Passwords are hashed with argon2id (OWASP's parameters: 19 MiB, 2 passes, 1 lane).
//
// argon2id runs on the libuv thread pool, and more of them at once than this process's share of the cores
// only makes each one slower: at 19 MiB apiece they evict each other from the caches. On this project's
// 2-core machine, 2 at once verify about 200 passwords/s at ~10 ms of CPU each, 8 at once (two workers' full
// thread pools) about 133/s at ~15 ms (docs/benchmarks.md). So each process runs at most its share of the
// cores at once and the others wait their turn, in order; the thread pool stays free for token signatures.
import { availableParallelism } from 'node:os';
import { hash, verify } from '@node-rs/argon2';
import pLimit from 'p-limit';

export const argon2Options = { algorithm: 2 /* Argon2id */, memoryCost: 19456, timeCost: 2, parallelism: 1 } as const;

/** How many argon2id computations one of `processes` processes on this machine runs at once. */
export function argon2Concurrency(processes: number, cores = availableParallelism()): number {
  return Math.max(1, Math.floor(cores / Math.max(1, processes)));
}

let limit = pLimit(argon2Concurrency(1));

/** Called once by each server process with the number of processes sharing the machine's cores. */
export function shareCoresWith(processes: number): void {
  limit.concurrency = argon2Concurrency(processes);
}

export function hashPassword(password: string): Promise<string> {
  return limit(() => hash(password, argon2Options));
}

/** false for a wrong password and for a hash argon2 cannot read. */
export function verifyPassword(encoded: string, password: string): Promise<boolean> {
  return limit(() => verify(encoded, password).catch(() => false));
}
