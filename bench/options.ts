// Benchmark options: BENCH_* environment variables and the --profile flag. Read once, at start.
import { availableParallelism } from 'node:os';

export interface BenchOptions {
  /** Seconds of load in each measured run. */
  readonly duration: number;
  /** Interleaved rounds; every figure reported is the median over them. */
  readonly rounds: number;
  /** Open connections wrk keeps to the server. */
  readonly connections: number;
  /** wrk threads (the load generator shares the cores with the server). */
  readonly wrkThreads: number;
  /** Server processes: GATEHOUSE_WORKERS and oidc-provider's cluster size. */
  readonly workers: number;
  /** Seconds of unmeasured load before the first run of each server and algorithm. */
  readonly warmup: number;
  /** Seconds of each signing-ceiling measurement. */
  readonly ceilingSeconds: number;
  /** One profiled RS256 run of Gatehouse instead of the comparison. */
  readonly profile: boolean;
}

function positive(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be a whole number ≥ 1, got "${raw}"`);
  return value;
}

export function readOptions(argv: readonly string[]): BenchOptions {
  const unknown = argv.filter((arg) => arg !== '--profile');
  if (unknown.length) throw new Error(`Unknown argument ${unknown[0]} (the only flag is --profile; options are BENCH_* variables)`);
  const duration = positive('BENCH_DURATION', 10);
  const connections = positive('BENCH_CONNECTIONS', 64);
  return Object.freeze({
    duration,
    rounds: positive('BENCH_ROUNDS', 3),
    connections,
    wrkThreads: Math.min(positive('BENCH_WRK_THREADS', 2), connections),
    workers: positive('BENCH_WORKERS', availableParallelism()),
    warmup: positive('BENCH_WARMUP', Math.min(3, duration)),
    ceilingSeconds: positive('BENCH_CEILING_SECONDS', 3),
    profile: argv.includes('--profile'),
  });
}
