// Benchmark options: BENCH_* environment variables and the flags --profile, --token-only, --signin-only
// and --reference. Read once, at start.
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
  /** Profiled runs of Gatehouse instead of the measurements (of the benchmarks selected below). */
  readonly profile: boolean;
  /** The token endpoint benchmark runs (not with --signin-only; with --reference, only with --token-only). */
  readonly token: boolean;
  /** The sign-in benchmark runs (not with --token-only or --reference). */
  readonly signin: boolean;
  /** The reference server is measured (bench/reference.ts): after the token benchmark with --token-only, else alone. */
  readonly reference: boolean;
  /** The slow-loris benchmark runs (bench/slowloris.ts): last in a full run, or alone with --slowloris-only. */
  readonly slowloris: boolean;
  /** The audit log's cost on the token endpoint alone (bench/audit.ts): --audit. */
  readonly audit: boolean;
  /** The Management API at 10,000 and 1,000,000 users, alone (bench/management.ts): --management. */
  readonly management: ManagementOptions;
  readonly signinOptions: SigninOptions;
}

export interface ManagementOptions {
  readonly run: boolean;
  /** Users in the database at each measurement, smallest first (BENCH_MANAGEMENT_SIZES, comma-separated). */
  readonly sizes: readonly number[];
  /** Requests per route and size (BENCH_MANAGEMENT_SAMPLES). */
  readonly samples: number;
}

export interface SigninOptions {
  /** Seconds of each measured sign-in run. */
  readonly duration: number;
  /** Interleaved rounds (argon2id alone, then sign-in); the summary shows medians. */
  readonly rounds: number;
  /** Virtual users, each doing one complete login after another. */
  readonly concurrency: number;
  /** Users created through the tenant file; the virtual users take them in turn. */
  readonly users: number;
  /** Seconds of unmeasured sign-in load before the first round (later rounds ramp up for 1 s). */
  readonly warmup: number;
  /** Seconds of each argon2id measurement. */
  readonly argon2Seconds: number;
  /** The virtual users' HTTP client: fetch (undici), or node:http (lighter on the CPU the server shares). */
  readonly client: 'fetch' | 'http';
}

/** Thread-pool threads per Node process: libuv's default unless UV_THREADPOOL_SIZE says otherwise. */
export function threadPoolSize(): number {
  const size = Number(process.env.UV_THREADPOOL_SIZE);
  return Number.isInteger(size) && size >= 1 ? Math.min(size, 1024) : 4;
}

function positive(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be a whole number ≥ 1, got "${raw}"`);
  return value;
}

function sizes(name: string, fallback: number[]): number[] {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const values = raw.split(',').map((part) => Number(part.replaceAll('_', '').trim()));
  if (values.length < 2 || values.some((v, i) => !Number.isInteger(v) || v < 10_000 || (i > 0 && v <= values[i - 1])))
    throw new Error(
      `${name} must be two or more increasing whole numbers ≥ 10,000 (the 200th page of 50 is users 9,951–10,000), got "${raw}"`,
    );
  return values;
}

function httpClient(): 'fetch' | 'http' {
  const raw = process.env.BENCH_SIGNIN_CLIENT || 'http';
  if (raw !== 'fetch' && raw !== 'http') throw new Error(`BENCH_SIGNIN_CLIENT must be fetch or http, got "${raw}"`);
  return raw;
}

const flags = [
  '--profile',
  '--token-only',
  '--signin-only',
  '--reference',
  '--slowloris-only',
  '--audit',
  '--management',
];

export function readOptions(argv: readonly string[]): BenchOptions {
  const unknown = argv.filter((arg) => !flags.includes(arg));
  if (unknown.length)
    throw new Error(
      `Unknown argument ${unknown[0]} (the flags are ${flags.join(', ')}; options are BENCH_* variables)`,
    );
  const tokenOnly = argv.includes('--token-only');
  const signinOnly = argv.includes('--signin-only');
  if (tokenOnly && signinOnly)
    throw new Error('--token-only and --signin-only exclude each other (without either, both benchmarks run)');
  const reference = argv.includes('--reference');
  const slowlorisOnly = argv.includes('--slowloris-only');
  const audit = argv.includes('--audit');
  if (audit && argv.length > 1) throw new Error('--audit runs alone');
  const management = argv.includes('--management');
  if (management && argv.length > 1) throw new Error('--management runs alone');
  if (slowlorisOnly && argv.length > 1) throw new Error('--slowloris-only runs alone');
  const profile = argv.includes('--profile');
  if (reference && (profile || signinOnly))
    throw new Error(
      '--reference excludes --profile and --signin-only (with --token-only it runs after the token benchmark)',
    );
  const duration = positive('BENCH_DURATION', 10);
  const connections = positive('BENCH_CONNECTIONS', 64);
  const workers = positive('BENCH_WORKERS', availableParallelism());
  const signinDuration = positive('BENCH_SIGNIN_DURATION', 15);
  return Object.freeze({
    duration,
    rounds: positive('BENCH_ROUNDS', 3),
    connections,
    wrkThreads: Math.min(positive('BENCH_WRK_THREADS', 2), connections),
    workers,
    warmup: positive('BENCH_WARMUP', Math.min(3, duration)),
    ceilingSeconds: positive('BENCH_CEILING_SECONDS', 3),
    profile,
    audit,
    management: Object.freeze({
      run: management,
      sizes: sizes('BENCH_MANAGEMENT_SIZES', [10_000, 1_000_000]),
      samples: positive('BENCH_MANAGEMENT_SAMPLES', 300),
    }),
    token: !audit && !management && !slowlorisOnly && (reference ? tokenOnly : !signinOnly),
    signin: !audit && !management && !slowlorisOnly && !tokenOnly && !reference,
    reference,
    slowloris: slowlorisOnly || (!audit && !management && !tokenOnly && !signinOnly && !reference && !profile),
    signinOptions: Object.freeze({
      duration: signinDuration,
      rounds: positive('BENCH_SIGNIN_ROUNDS', 3),
      // Two logins in flight per core keep every core busy (one verifies a password while the other's
      // requests run); more only queue on the thread pool, add latency and cost CPU (docs/benchmarks.md).
      concurrency: positive('BENCH_SIGNIN_CONCURRENCY', 2 * availableParallelism()),
      users: positive('BENCH_SIGNIN_USERS', 200),
      warmup: positive('BENCH_SIGNIN_WARMUP', Math.min(3, signinDuration)),
      argon2Seconds: positive('BENCH_ARGON2_SECONDS', 4),
      client: httpClient(),
    }),
  });
}
