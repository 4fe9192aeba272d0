// The sign-in benchmark's medians, its target (docs/benchmarks.md "Sign-in"), the printed table and its part of .bench/results.json.
import type { Argon2Ceiling } from './argon2.js';
import type { SigninOptions } from './options.js';
import { median, type Target } from './report.js';
import type { LoadResult } from './signin-load.js';

export interface SigninRun {
  round: number;
  ok: boolean;
  failure?: string;
  /** Processes of the server (primary and workers) when the run started. */
  server_processes: number;
  concurrency: number;
  /** argon2id alone, measured just before this run. */
  argon2: Argon2Ceiling;
  load?: LoadResult;
  logins_per_s?: number;
  p50_ms?: number;
  p99_ms?: number;
  server_cpu_s?: number;
  /** utime + stime of every server process ÷ completed logins. */
  cpu_ms_per_login?: number;
  /** The part of it on the processes' main threads (JavaScript: HTTP, pages, database, token code). */
  main_thread_cpu_ms_per_login?: number;
  /** The part on their other threads (libuv thread pool: argon2id and signatures; GC helper threads). */
  other_threads_cpu_ms_per_login?: number;
  /** Server CPU ÷ (cores × window): how much of the machine the server got. */
  server_cpu_share?: number;
  /** CPU of the benchmark process (the load generator) per login and as a share of the cores. */
  generator_cpu_ms_per_login?: number;
  generator_cpu_share?: number;
  /** CPU neither the server nor the load generator used (other programs), ÷ (cores × window). */
  other_cpu_share?: number;
  /** logins/s ÷ the argon2id verifications/s of the same round. */
  ratio?: number;
  /** The measured window on CLOCK_MONOTONIC (µs), the clock of V8's CPU profiles. */
  window_monotonic_us?: { start: number; end: number };
  /** CPU per login of each server thread that used any (main: the JavaScript thread), busiest first. */
  threads?: { pid: number; tid: number; main: boolean; cpu_ms_per_login: number }[];
}

export interface RawSigninResults {
  options: SigninOptions & { workers: number; thread_pool: number };
  machine: {
    cores: number;
    cpu_model: string;
    node: string;
    loadavg_start: string;
    loadavg_end: string;
    busy_before: number;
  };
  gatehouse: string;
  /** From spawn to the first 200 from /healthz on a fresh database: migrations, keys and the users' hashes. */
  start_ms_with_users: number;
  runs: SigninRun[];
}

export interface SigninSummary {
  logins_per_s: number | null;
  p50_ms: number | null;
  p99_ms: number | null;
  cpu_ms_per_login: number | null;
  main_thread_cpu_ms_per_login: number | null;
  other_threads_cpu_ms_per_login: number | null;
  /** cpu_ms_per_login − the CPU of one argon2id verification alone: everything else a login costs the server. */
  cpu_ms_beyond_argon2: number | null;
  generator_cpu_ms_per_login: number | null;
  argon2_verifications_per_s: number | null;
  argon2_cpu_ms_per_verification: number | null;
  /** logins_per_s ÷ argon2_verifications_per_s (medians). */
  ratio: number | null;
  /**
   * argon2_cpu_ms_per_verification ÷ cpu_ms_per_login: the ratio the server would reach with every core to
   * itself (a load generator elsewhere, nothing else running), since both are then bound by CPU.
   */
  server_bound_ratio: number | null;
  /** Medians of the other programs' share of the cores during the sign-in runs and of argon2id's share during its measurements. */
  other_cpu_share: number | null;
  argon2_core_share: number | null;
  runs_ok: number;
  runs: number;
}

export interface SigninResults extends RawSigninResults {
  date: string;
  summary: SigninSummary;
  target: Target;
}

export const SIGNIN_TARGET = 0.85;

export function summariseSignin(raw: RawSigninResults): SigninResults {
  const ok = raw.runs.filter((run) => run.ok);
  const med = (pick: (run: SigninRun) => number | undefined) =>
    median(ok.map(pick).filter((v): v is number => v !== undefined));
  // argon2id alone: every round's measurement counts, whether or not its sign-in run succeeded.
  const argon2 = (pick: (a: Argon2Ceiling) => number) => median(raw.runs.map((run) => pick(run.argon2)));
  const loginsPerSecond = med((run) => run.logins_per_s);
  const verifications = argon2((a) => a.verifications_per_s);
  const cpu = med((run) => run.cpu_ms_per_login);
  const verifyCpu = argon2((a) => a.cpu_ms_per_verification);
  const ratio = loginsPerSecond === null || !verifications ? null : loginsPerSecond / verifications;
  const summary: SigninSummary = {
    logins_per_s: loginsPerSecond,
    p50_ms: med((run) => run.p50_ms),
    p99_ms: med((run) => run.p99_ms),
    cpu_ms_per_login: cpu,
    main_thread_cpu_ms_per_login: med((run) => run.main_thread_cpu_ms_per_login),
    other_threads_cpu_ms_per_login: med((run) => run.other_threads_cpu_ms_per_login),
    cpu_ms_beyond_argon2: cpu === null || verifyCpu === null ? null : cpu - verifyCpu,
    generator_cpu_ms_per_login: med((run) => run.generator_cpu_ms_per_login),
    argon2_verifications_per_s: verifications,
    argon2_cpu_ms_per_verification: verifyCpu,
    ratio,
    server_bound_ratio: cpu && verifyCpu !== null ? verifyCpu / cpu : null,
    other_cpu_share: median(raw.runs.map((run) => run.other_cpu_share).filter((v): v is number => v !== undefined)),
    argon2_core_share: argon2((a) => a.core_share),
    runs_ok: ok.length,
    runs: raw.runs.length,
  };
  const failed = raw.runs.length > ok.length;
  return {
    ...raw,
    date: new Date().toISOString(),
    summary,
    target: {
      name: `sign-in logins/s ≥ ${SIGNIN_TARGET * 100} % of argon2id verifications/s alone`,
      value: ratio === null ? '—' : `${(ratio * 100).toFixed(0)} %`,
      // A run with failed logins is failed: the target is not met, whatever the other rounds did.
      met: ratio === null ? null : ratio >= SIGNIN_TARGET && !failed,
    },
  };
}

const fixed = (value: number | null | undefined, digits = 0, unit = '') =>
  value === null || value === undefined
    ? '—'
    : value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits }) + unit;
const percent = (value: number | null | undefined) =>
  value === null || value === undefined ? '—' : `${(value * 100).toFixed(0)} %`;

function table(rows: string[][]): string {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((row) => (row[i] ?? '').length)));
  return rows
    .map((row) =>
      row
        .map((cell, i) => (i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i])))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

export function formatSigninReport(results: SigninResults): string {
  const { options: o, machine, summary: s } = results;
  const lines = [
    'Sign-in benchmark: authorization code + PKCE logins over HTTP (GET /authorize, GET and POST /u/login, /authorize/resume, POST /oauth/token)',
    `Machine: ${machine.cores} cores, ${machine.cpu_model}, Node ${machine.node}, load average ${machine.loadavg_start} at start, ${machine.loadavg_end} at end; ` +
      `other programs used ${percent(machine.busy_before)} of the cores the second before it started`,
    `Gatehouse ${results.gatehouse}: ${o.workers} workers (thread pool ${o.thread_pool} each), SQLite, ${fixed(o.users)} users ` +
      `(start with their argon2id hashes: ${fixed(results.start_ms_with_users / 1000, 1)} s)`,
    `Load: ${o.concurrency} virtual users (${o.client === 'http' ? 'node:http' : 'fetch'}), a fresh cookie jar per login, ${o.duration} s per run, ` +
      (o.rounds > 1
        ? `${o.rounds} rounds (argon2id alone ${o.argon2Seconds} s, then sign-in), medians`
        : `one round (argon2id alone ${o.argon2Seconds} s, then sign-in)`),
    '',
  ];
  const rows: string[][] = [
    [
      '',
      'logins/s',
      'p50 ms',
      'p99 ms',
      'server CPU ms/login',
      'main threads',
      'other threads',
      'beyond argon2id',
      'runs ok',
    ],
    [
      'sign-in',
      fixed(s.logins_per_s, 1),
      fixed(s.p50_ms),
      fixed(s.p99_ms),
      fixed(s.cpu_ms_per_login, 1),
      fixed(s.main_thread_cpu_ms_per_login, 1),
      fixed(s.other_threads_cpu_ms_per_login, 1),
      fixed(s.cpu_ms_beyond_argon2, 1),
      `${s.runs_ok}/${s.runs}`,
    ],
    [
      'argon2id alone',
      fixed(s.argon2_verifications_per_s, 1),
      '',
      '',
      fixed(s.argon2_cpu_ms_per_verification, 1),
      '',
      '',
      '',
      '',
    ],
    ['sign-in ÷ argon2id', percent(s.ratio), '', '', '', '', '', '', ''],
  ];
  lines.push(table(rows));
  const opts = results.runs[0]?.argon2.options;
  lines.push(
    `(argon2id alone: @node-rs/argon2 verify with Gatehouse's argon2Options ${opts ? JSON.stringify(opts) : ''}, ${o.workers} processes, each with 1, cores ÷ processes and ${o.thread_pool} (its thread pool) in flight, the best of them; ` +
      `its CPU column is the CPU of one verification)`,
    `argon2id's CPU ÷ the server's CPU per login: ${percent(s.server_bound_ratio)} (the ratio with every core for the server: no load generator beside it, nothing else running)`,
    `Load generator (this process, ${o.client === 'http' ? 'node:http' : 'fetch'}): ${fixed(s.generator_cpu_ms_per_login, 1)} ms CPU per login. ` +
      `Other programs took ${percent(s.other_cpu_share)} of the cores in the median sign-in run; argon2id alone got ${percent(s.argon2_core_share)} of them in its median measurement.`,
  );
  if ((s.other_cpu_share ?? 0) >= 0.05 || (s.argon2_core_share ?? 1) < 0.9) {
    lines.push(
      'The machine was shared: both figures of the ratio are lower and noisier than on an idle machine; CPU per login is the steadier figure.',
    );
  }
  lines.push(
    '',
    'Target (docs/benchmarks.md "Sign-in"), measured in this run:',
    table([
      [
        `  ${results.target.name}`,
        results.target.value,
        results.target.met === null ? 'unknown' : results.target.met ? 'met' : 'NOT met',
      ],
    ]),
  );
  const failed = results.runs.filter((run) => !run.ok);
  if (failed.length) {
    lines.push('', `Failed runs (${failed.length}), left out of the medians (a run with any failed login is failed):`);
    for (const run of failed) lines.push(`  round ${run.round}: ${run.failure}`);
  }
  return lines.join('\n');
}
