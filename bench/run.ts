// npm run bench: Gatehouse against oidc-provider on POST /oauth/token, then Gatehouse's sign-in (complete
// code + PKCE logins beside argon2id alone), on this machine, in one run. `--token-only` and
// `--signin-only` run one of them. See docs/benchmarks.md for what each figure means. Options:
// BENCH_DURATION, BENCH_ROUNDS, BENCH_CONNECTIONS, BENCH_WORKERS (and BENCH_WARMUP, BENCH_CEILING_SECONDS,
// BENCH_WRK_THREADS, BENCH_GATEHOUSE_DIR); BENCH_SIGNIN_DURATION, BENCH_SIGNIN_ROUNDS,
// BENCH_SIGNIN_CONCURRENCY, BENCH_SIGNIN_USERS, BENCH_SIGNIN_WARMUP, BENCH_ARGON2_SECONDS; `--profile`
// records CPU profiles of one Gatehouse run of each selected benchmark instead. `--reference` measures
// the cheapest Fastify token server (bench/reference.ts): alone, or after the token benchmark with
// `--token-only`. `--slowloris-only` runs the slow-loris benchmark alone (bench/slowloris.ts; BENCH_SLOWLORIS_SECONDS,
// BENCH_SLOWLORIS_CONNECTIONS), which a full run ends with. `--audit` measures the audit log's cost per token
// alone (bench/audit.ts). `--management` measures the Management API's user routes and a sign-in at 10,000 and
// 1,000,000 users (bench/management.ts; BENCH_MANAGEMENT_SIZES, BENCH_MANAGEMENT_SAMPLES). `--start` measures
// how long `gatehouse start --test` takes to answer /healthz (bench/start.ts; BENCH_START_ROUNDS; `--start --https`
// with HTTPS). `--import` times `gatehouse users import` of a million users and its peak memory (bench/import.ts;
// BENCH_IMPORT_USERS).
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { auditBenchmark } from './audit.js';
import { formatManagementReport, managementBenchmark } from './management.js';
import { measureCeiling, type Ceiling } from './ceiling.js';
import { setUpGatehouse } from './gatehouse.js';
import { checkTokenResponse, type LoadShape, type LoadTarget, measureRun, type RunResult, warmUp } from './measure.js';
import { setUpOidcProvider } from './oidc-provider.js';
import { readOptions, type BenchOptions } from './options.js';
import { cpuModel, gatehouseVersion, loadAverage, percent, warnIfBusy } from './machine.js';
import { rssMiB } from './proc-stats.js';
import { installCleanup, stopAll } from './processes.js';
import { formatReport, type ProcessMemory, type Results, summarise, writeResults } from './report.js';
import { profileGatehouse } from './profile.js';
import {
  formatReferenceReport,
  type ReferenceResults,
  setUpReference,
  summariseReference,
  writeReferenceResults,
} from './reference.js';
import type { RunningServer } from './servers.js';
import { profileSignin, signinBenchmark } from './signin.js';
import { formatSlowlorisReport, slowlorisBenchmark, type SlowlorisResults } from './slowloris.js';
import { formatSigninReport, type SigninResults } from './signin-report.js';
import { algs, createWorkload, type Workload } from './workload.js';
import { ensureWrk } from './wrk.js';
import { startBenchmark } from './start.js';
import { importBenchmark } from './import.js';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const benchDir = join(repoRoot, '.bench');

function packageVersion(name: string): string {
  const path = join(repoRoot, 'node_modules', name, 'package.json');
  return (JSON.parse(readFileSync(path, 'utf8')) as { version: string }).version;
}

/** `wrk debian/4.1.0-3+b2 [epoll] Copyright …` → `wrk debian/4.1.0-3+b2` */
const wrkVersion = () => /^wrk \S+/.exec(spawnSync('wrk', ['-v'], { encoding: 'utf8' }).stdout)?.[0] ?? 'wrk';

function memoryOf(server: RunningServer): ProcessMemory[] {
  return server.processes().flatMap((pid) => {
    const mib = rssMiB(pid);
    return mib === undefined
      ? []
      : [{ pid, role: pid === server.pid ? 'primary' : 'worker', rss_mb: (mib * 1024 * 1024) / 1e6 } as const];
  });
}

const format = (n: number, digits = 0) =>
  n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });

function printRun(run: RunResult, rounds: number): void {
  const where = `round ${run.round}/${rounds}  ${run.alg}  ${run.server.padEnd(13)}`;
  if (!run.ok) {
    console.log(`${where}  FAILED: ${run.failure}`);
    return;
  }
  console.log(
    `${where}  ${format(run.requests_per_s!).padStart(6)} req/s  p50 ${format(run.p50_ms!, 1)} ms  p99 ${format(run.p99_ms!, 1)} ms  ` +
      `${format(run.cpu_us_per_token!)} µs CPU/token  (${run.server_processes} process${run.server_processes === 1 ? '' : 'es'}; ` +
      `wrk ${percent(run.wrk_cpu_share!)}, anything else ${percent(run.other_cpu_share!)} of the cores)`,
  );
}

function printCeiling(ceiling: Ceiling, round: number, rounds: number): void {
  console.log(
    `round ${round}/${rounds}  ${ceiling.alg}  signing ceiling  ${format(ceiling.signatures_per_s)} signatures/s, ` +
      `${format(ceiling.cpu_us_per_signature)} µs CPU each, ${percent(ceiling.core_share)} of the cores`,
  );
}

interface Contender {
  target: LoadTarget;
  server: RunningServer;
  /** Set once a run found the server dead: its later runs are not attempted. */
  crashed?: string;
}

/** Each round: RS256 ceiling, each contender RS256 (gatehouse, oidc-provider; or the reference), then the same for ES256. */
async function runRounds(contenders: Contender[], options: BenchOptions, workload: Workload, shape: LoadShape) {
  const runs: RunResult[] = [];
  const ceilings: (Ceiling & { round: number })[] = [];
  for (let round = 1; round <= options.rounds; round++) {
    for (const alg of algs) {
      const ceiling = await measureCeiling(alg, availableParallelism(), options.ceilingSeconds);
      ceilings.push({ ...ceiling, round });
      printCeiling(ceiling, round, options.rounds);
      for (const contender of contenders) {
        const run: RunResult = contender.crashed
          ? {
              round,
              server: contender.target.name,
              alg,
              ok: false,
              failure: `not run: ${contender.crashed}`,
              server_processes: 0,
            }
          : await measureRun(round, contender.target, contender.server, alg, workload, options.duration, shape);
        if (!contender.server.alive() && !contender.crashed)
          contender.crashed = `${contender.target.name} exited in round ${round}`;
        runs.push(run);
        printRun(run, options.rounds);
      }
    }
  }
  return { runs, ceilings };
}

async function compare(
  options: BenchOptions,
  workload: Workload,
  dir: string,
  logDir: string,
  gatehouseRoot: string,
): Promise<Results> {
  const cores = availableParallelism();
  const loadavgStart = loadAverage();
  await warnIfBusy(cores);
  const shape: LoadShape = { connections: options.connections, threads: options.wrkThreads };

  console.log(
    `Gatehouse ${gatehouseVersion(gatehouseRoot)} and oidc-provider ${packageVersion('oidc-provider')}, ${options.workers} server processes asked of each; logs in ${logDir}`,
  );
  const gatehouse = await setUpGatehouse({ root: gatehouseRoot, dir, logDir, workers: options.workers, workload });
  const oidcProvider = await setUpOidcProvider({ dir, logDir, workers: options.workers, workload });

  // The first start creates the database; the second, timed, is a start on an existing database.
  await (await gatehouse.start()).stop();
  const contenders: Contender[] = [
    { target: gatehouse.target, server: await gatehouse.start() },
    { target: oidcProvider.target, server: await oidcProvider.start() },
  ];
  const [gh, op] = contenders;
  console.log(
    `Started: gatehouse in ${format(gh.server.startMs)} ms (existing database), oidc-provider in ${format(op.server.startMs)} ms`,
  );

  for (const alg of algs) for (const { target } of contenders) await checkTokenResponse(target, alg, workload);
  console.log(`Both servers issue JWT access tokens signed RS256 and ES256. Warming up (${options.warmup} s each)…`);
  for (const alg of algs) {
    for (const { target } of contenders) {
      const errors = await warmUp(target, alg, workload, options.warmup, shape);
      if (errors) console.log(`warm-up ${alg} ${target.name}: ${errors}`);
    }
  }

  const { runs, ceilings } = await runRounds(contenders, options, workload, shape);

  const results = summarise({
    options,
    machine: {
      cores,
      cpu_model: cpuModel(),
      node: process.version,
      loadavg_start: loadavgStart,
      loadavg_end: loadAverage(),
    },
    versions: {
      gatehouse: gatehouseVersion(gatehouseRoot),
      oidc_provider: packageVersion('oidc-provider'),
      wrk: wrkVersion(),
    },
    runs,
    ceilings,
    start_ms: { gatehouse: gh.server.startMs, 'oidc-provider': op.server.startMs },
    rss: { gatehouse: memoryOf(gh.server), 'oidc-provider': memoryOf(op.server) },
  });
  // The token servers stop before the sign-in benchmark: it must have the machine to itself.
  await Promise.all(contenders.map(({ server }) => server.stop()));
  return results;
}

/** The reference server alone, measured like the compared servers: warm-up, then interleaved rounds. */
async function measureReference(options: BenchOptions, workload: Workload, logDir: string): Promise<ReferenceResults> {
  const cores = availableParallelism();
  const loadavgStart = loadAverage();
  await warnIfBusy(cores);
  const shape: LoadShape = { connections: options.connections, threads: options.wrkThreads };
  const reference = await setUpReference({ logDir, workers: options.workers, workload });
  const server = await reference.start();
  console.log(
    `Reference server (Fastify, ${options.workers} workers) started in ${format(server.startMs)} ms; log in ${server.logPath}`,
  );
  try {
    for (const alg of algs) await checkTokenResponse(reference.target, alg, workload);
    console.log(`It issues JWT access tokens signed RS256 and ES256. Warming up (${options.warmup} s each)…`);
    for (const alg of algs) {
      const errors = await warmUp(reference.target, alg, workload, options.warmup, shape);
      if (errors) console.log(`warm-up ${alg} reference: ${errors}`);
    }
    const { runs, ceilings } = await runRounds([{ target: reference.target, server }], options, workload, shape);
    const { duration, rounds, connections, wrkThreads, workers, warmup, ceilingSeconds } = options;
    return summariseReference({
      options: { duration, rounds, connections, wrkThreads, workers, warmup, ceilingSeconds },
      machine: {
        cores,
        cpu_model: cpuModel(),
        node: process.version,
        loadavg_start: loadavgStart,
        loadavg_end: loadAverage(),
      },
      start_ms: server.startMs,
      runs,
      ceilings,
    });
  } finally {
    await server.stop();
  }
}

async function main(): Promise<void> {
  if (process.argv[2] === '--start') return startBenchmark(process.argv.includes('--https'));
  if (process.argv[2] === '--import') return importBenchmark();
  const options = readOptions(process.argv.slice(2));
  if (options.token || options.reference) ensureWrk();
  const gatehouseRoot = resolve(process.env.BENCH_GATEHOUSE_DIR || repoRoot);
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-bench-'));
  installCleanup(() => rmSync(dir, { recursive: true, force: true }));
  const logDir = join(benchDir, 'logs');
  mkdirSync(logDir, { recursive: true });
  for (const name of ['gatehouse.log', 'gatehouse-signin.log', 'oidc-provider.log', 'reference.log'])
    rmSync(join(logDir, name), { force: true });
  const workload = createWorkload();
  const setup = { options, workload, dir, logDir, gatehouseRoot, profileDir: join(benchDir, 'profiles') };
  try {
    if (options.audit) {
      ensureWrk();
      console.log(`\n${await auditBenchmark({ options, workload, dir, logDir, gatehouseRoot })}`);
      return;
    }
    if (options.management.run) {
      const { sizes, samples } = options.management;
      const results = await managementBenchmark({
        dir,
        logDir,
        gatehouseRoot,
        workers: options.workers,
        sizes,
        samples,
      });
      const path = join(benchDir, 'management.json');
      writeFileSync(path, `${JSON.stringify(results, null, 2)}\n`);
      console.log(`\n${formatManagementReport(results)}\n\nWritten to ${path}`);
      return;
    }
    if (options.profile) {
      if (options.token) await profileGatehouse(setup);
      if (options.token && options.signin) console.log('');
      // Profiles of the sign-in run replace those of the token run: keep them apart.
      if (options.signin)
        await profileSignin({ ...setup, profileDir: join(benchDir, options.token ? 'profiles-signin' : 'profiles') });
      return;
    }
    const results: { token?: Results; signin?: SigninResults } = {};
    if (options.token) results.token = await compare(options, workload, dir, logDir, gatehouseRoot);
    if (options.token && options.signin) console.log('');
    if (options.signin) results.signin = await signinBenchmark(setup);
    if (options.token && options.reference) console.log('');
    const reference = options.reference ? await measureReference(options, workload, logDir) : undefined;
    const slowloris: SlowlorisResults | undefined = options.slowloris
      ? await slowlorisBenchmark({ workload, dir, logDir, gatehouseRoot, workers: options.workers })
      : undefined;
    // The sign-in benchmark prints a progress line per round too: all tables come at the end, together.
    const path = join(benchDir, 'results.json');
    if (options.token || options.signin) writeResults(path, results);
    // The reference alone leaves the other benchmarks' last results in the file.
    if (reference) writeReferenceResults(path, reference);
    const tables = [
      results.token && formatReport(results.token),
      results.signin && formatSigninReport(results.signin),
      reference && formatReferenceReport(reference),
      slowloris && formatSlowlorisReport(slowloris),
    ].filter(Boolean);
    console.log(`\n${tables.join(`\n\n${'─'.repeat(100)}\n\n`)}\n\nWritten to ${path}`);
  } finally {
    await stopAll(); // the temporary folder goes at exit (installCleanup)
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`bench: ${(error as Error).stack ?? String(error)}\n`);
  process.exitCode = 1;
});
