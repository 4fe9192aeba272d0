// Passwords are hashed with argon2id (OWASP's parameters: 19 MiB, 2 passes, 1 lane).
//
// argon2id runs on the libuv thread pool, and more of them at once than this process's share of the cores
// only makes each one slower: at 19 MiB apiece they evict each other from the caches. On this project's
// 2-core machine, 2 at once verify about 200 passwords/s at ~10 ms of CPU each, 8 at once (two workers' full
// thread pools) about 133/s at ~15 ms (docs/benchmarks.md). So a process runs at most its share of the
// cores at once and the others wait their turn, in order; the thread pool stays free for token signatures.
import { availableParallelism } from 'node:os';
import { hash, verify } from '@node-rs/argon2';
import pLimit from 'p-limit';

export const argon2Options = { algorithm: 2 /* Argon2id */, memoryCost: 19456, timeCost: 2, parallelism: 1 } as const;

/**
 * Test mode only (GATEHOUSE_MODE=test): still argon2id, at the smallest cost argon2 accepts (RFC 9106 §3.1: at
 * least 8 KiB per lane, one pass), so that a suite creating hundreds of users does not wait on hashes. A hash
 * records its own parameters, so a hash made here verifies anywhere and is as cheap to guess as it was to make.
 */
export const testArgon2Options = { algorithm: 2 /* Argon2id */, memoryCost: 8, timeCost: 1, parallelism: 1 } as const;

type Argon2Options = typeof argon2Options | typeof testArgon2Options;

export interface Passwords {
  hash(password: string): Promise<string>;
  /** false for a wrong password and for a hash argon2 cannot read. */
  verify(encoded: string, password: string): Promise<boolean>;
}

/** How many argon2id computations one of `processes` processes sharing this machine runs at once. */
export function argon2Concurrency(processes: number, cores = availableParallelism()): number {
  return Math.max(1, Math.floor(cores / Math.max(1, processes)));
}

/** argon2id for one process: at most `concurrency` hashes or verifications at once, the rest in order. */
export function createPasswords(concurrency: number, options: Argon2Options = argon2Options): Passwords {
  const limit = pLimit(concurrency);
  return {
    hash: (password) => limit(() => hash(password, options)),
    verify: (encoded, password) => limit(() => verify(encoded, password).catch(() => false)),
  };
}

/** The cost of a mode: the minimal one only ever in test mode. */
export const argon2OptionsFor = (mode: 'standard' | 'test'): Argon2Options =>
  mode === 'test' ? testArgon2Options : argon2Options;
