// The sign-in benchmark: complete authorization-code + PKCE logins per second over HTTP against Gatehouse,
// beside what argon2id verification alone allows on this machine with Gatehouse's parameters.
//
//   set-up: tenant file with a regular web app, a database connection and N users (hashed at the first start)
//   one login checked end to end ──> each round: argon2id alone ──> sign-in load (ramp-up, measured window)
//
// The server's CPU is read from /proc for every process, split into the main threads (JavaScript: HTTP,
// pages, database, token code) and the other threads (the libuv thread pool: argon2id and signatures; GC
// helpers). The load generator runs in this process; its CPU and that of everything else are reported.
import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { measureArgon2, type Argon2Ceiling } from './argon2.js';
import { setUpGatehouse } from './gatehouse.js';
import { cpuModel, gatehouseVersion, loadAverage, percent, warnIfBusy } from './machine.js';
import type { BenchOptions } from './options.js';
import { threadPoolSize } from './options.js';
import {
  cpuSnapshot,
  cpuUsedMicros,
  isRunning,
  machineBusyMicros,
  perThreadCpu,
  threadSplit,
  type CpuSnapshot,
  type ThreadSplit,
} from './proc-stats.js';
import { categories, profileByCategory, readProfile } from './profile.js';
import type { RunningServer } from './servers.js';
import {
  closeIdleConnections,
  type HttpClient,
  login,
  LoginError,
  runSigninLoad,
  steps,
  type LoadResult,
} from './signin-load.js';
import { summariseSignin, type SigninResults, type SigninRun } from './signin-report.js';
import { createSigninWorkload, signinTenantFile, type SigninWorkload } from './signin-workload.js';
import type { Workload } from './workload.js';

export interface SigninSetup {
  options: BenchOptions;
  workload: Workload;
  dir: string;
  logDir: string;
  gatehouseRoot: string;
}

const format = (n: number, digits = 0) =>
  n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });

/** Waits for a server that applies a tenant file with many users: every password is hashed at the first start. */
const START_TIMEOUT_MS = 300_000;

async function startSigninServer(setup: SigninSetup, signin: SigninWorkload, nodeArgs: string[] = []) {
  const gatehouse = await setUpGatehouse({
    root: setup.gatehouseRoot,
    dir: setup.dir,
    logDir: setup.logDir,
    workers: setup.options.workers,
    workload: setup.workload,
    tenant: signinTenantFile(signin),
    name: 'gatehouse-signin',
  });
  const users = signin.users.length;
  console.log(
    `Sign-in: starting Gatehouse on a fresh database with ${format(users)} users from the tenant file (each password hashed with argon2id)…`,
  );
  const server = await gatehouse.start(nodeArgs, START_TIMEOUT_MS);
  console.log(
    `Started in ${format(server.startMs / 1000, 1)} s (${server.processes().length} processes), users included`,
  );
  // One login before any load: the flow must work end to end.
  try {
    await login(gatehouse.issuer, signin, signin.users[0], setup.options.signinOptions.client);
  } catch (error) {
    const why = error instanceof LoginError ? `${error.message}` : String(error);
    throw new Error(`One sign-in before the load failed at ${why}\n${server.logPath} ends with:\n${server.logTail()}`);
  }
  return { issuer: gatehouse.issuer, server };
}

interface Window {
  at: number;
  /** CLOCK_MONOTONIC in µs, the clock of V8's CPU profiles (to keep only the samples of the window). */
  monotonicUs: number;
  server: CpuSnapshot;
  threads: ThreadSplit;
  perThread: Map<string, number>;
  machine: number;
  self: NodeJS.CpuUsage;
}

function takeWindow(pids: readonly number[]): Window {
  return {
    at: performance.now(),
    monotonicUs: Number(process.hrtime.bigint() / 1000n),
    server: cpuSnapshot(pids),
    threads: threadSplit(pids),
    perThread: perThreadCpu(pids),
    machine: machineBusyMicros(),
    self: process.cpuUsage(),
  };
}

/** One measured sign-in run: the load, with the CPU of the server, of this process and of the machine read at the window's edges. */
export async function measureSignin(
  round: number,
  issuer: string,
  server: RunningServer,
  signin: SigninWorkload,
  client: HttpClient,
  concurrency: number,
  warmupS: number,
  durationS: number,
  argon2: Argon2Ceiling,
): Promise<SigninRun> {
  const pids = server.processes();
  const base = { round, server_processes: pids.length, concurrency, argon2 };
  const windows: Partial<Record<'start' | 'end', Window>> = {};
  let load: LoadResult;
  try {
    load = await runSigninLoad({
      issuer,
      workload: signin,
      client,
      concurrency,
      warmupS,
      durationS,
      onWindow: (edge) => (windows[edge] = takeWindow(pids)),
    });
  } catch (error) {
    return { ...base, ok: false, failure: (error as Error).message };
  }
  const { start, end } = windows as Record<'start' | 'end', Window>;
  const seconds = (end.at - start.at) / 1000;
  const capacity = availableParallelism() * seconds * 1e6;
  const serverCpu = cpuUsedMicros(start.server, end.server);
  const selfCpu = end.self.user + end.self.system - start.self.user - start.self.system;
  const machineCpu = end.machine - start.machine;
  const perLogin = (micros: number) => (load.logins ? micros / 1000 / load.logins : undefined);
  const figures = {
    load,
    logins_per_s: load.logins_per_s,
    p50_ms: load.latency_ms.p50,
    p99_ms: load.latency_ms.p99,
    server_cpu_s: serverCpu / 1e6,
    cpu_ms_per_login: perLogin(serverCpu),
    main_thread_cpu_ms_per_login: perLogin(end.threads.main - start.threads.main),
    other_threads_cpu_ms_per_login: perLogin(end.threads.other - start.threads.other),
    server_cpu_share: serverCpu / capacity,
    generator_cpu_ms_per_login: perLogin(selfCpu),
    generator_cpu_share: selfCpu / capacity,
    other_cpu_share: Math.max(0, machineCpu - serverCpu - selfCpu) / capacity,
    ratio: argon2.verifications_per_s ? load.logins_per_s / argon2.verifications_per_s : undefined,
    window_monotonic_us: { start: start.monotonicUs, end: end.monotonicUs },
    // Every thread of every server process, busiest first: the thread pool's threads show the argon2id work.
    threads: [...end.perThread]
      .map(([key, micros]) => {
        const [pid, tid] = key.split('/').map(Number);
        return {
          pid,
          tid,
          main: pid === tid,
          cpu_ms_per_login: perLogin(micros - (start.perThread.get(key) ?? 0)) ?? 0,
        };
      })
      .filter((t) => t.cpu_ms_per_login >= 0.01)
      .sort((a, b) => b.cpu_ms_per_login - a.cpu_ms_per_login),
  };
  const died = pids.filter((pid) => !isRunning(pid));
  if (died.length) {
    return {
      ...base,
      ...figures,
      ok: false,
      failure: `server process(es) ${died.join(', ')} exited during the run; ${server.logPath} ends with:\n${server.logTail()}`,
    };
  }
  if (load.errors) {
    const kinds = load.error_kinds.map((k) => `${k.count} × ${k.kind}${k.example ? ` [${k.example}]` : ''}`).join('; ');
    return {
      ...base,
      ...figures,
      ok: false,
      failure: `${load.errors} failed logins (${load.logins} completed): ${kinds}`,
    };
  }
  return { ...base, ...figures, ok: true };
}

function printArgon2(a: Argon2Ceiling, round: number, rounds: number) {
  console.log(
    `round ${round}/${rounds}  argon2id alone  ${format(a.verifications_per_s, 1)} verifications/s, ${format(a.cpu_ms_per_verification, 1)} ms CPU each ` +
      `(${a.processes} processes × ${a.in_flight / a.processes} in flight, the best of ` +
      `${a.tried.map((t) => `× ${t.in_flight / a.processes}: ${format(t.verifications_per_s, 1)}/s at ${format(t.cpu_ms_per_verification, 1)} ms`).join(', ')}), ${percent(a.core_share)} of the cores`,
  );
}

function printRun(run: SigninRun, rounds: number) {
  const where = `round ${run.round}/${rounds}  sign-in         `;
  if (run.load?.warmup_errors)
    console.log(
      `${where}  ${run.load.warmup_errors} failed logins during the ramp-up: ${run.load.error_kinds.map((k) => k.kind).join('; ')}`,
    );
  if (!run.ok) return console.log(`${where}  FAILED: ${run.failure}`);
  console.log(
    `${where}  ${format(run.logins_per_s!, 1)} logins/s  p50 ${format(run.p50_ms!)} ms  p99 ${format(run.p99_ms!)} ms  ` +
      `${format(run.cpu_ms_per_login!, 1)} ms server CPU/login (main threads ${format(run.main_thread_cpu_ms_per_login!, 1)}, others ${format(run.other_threads_cpu_ms_per_login!, 1)})  ` +
      `${percent(run.ratio!)} of argon2id alone  (load generator ${percent(run.generator_cpu_share!)}, anything else ${percent(run.other_cpu_share!)} of the cores)`,
  );
}

export async function signinBenchmark(setup: SigninSetup): Promise<SigninResults> {
  const { options, gatehouseRoot } = setup;
  const o = options.signinOptions;
  const cores = availableParallelism();
  const loadavgStart = loadAverage();
  const busyBefore = await warnIfBusy(cores);
  const signin = createSigninWorkload(o.users);
  const { issuer, server } = await startSigninServer(setup, signin);
  const startMs = server.startMs;
  console.log(
    `${o.concurrency} virtual users (${o.client === 'http' ? 'node:http' : 'fetch'}, fresh cookies every login), ${o.rounds} round${o.rounds === 1 ? '' : 's'} of argon2id alone ${o.argon2Seconds} s then sign-in ${o.duration} s ` +
      `(ramp-up: ${o.warmup} s before the first, 1 s before the others)`,
  );
  const runs: SigninRun[] = [];
  try {
    for (let round = 1; round <= o.rounds; round++) {
      const argon2 = await measureArgon2(gatehouseRoot, options.workers, cores, o.argon2Seconds);
      printArgon2(argon2, round, o.rounds);
      if (!server.alive()) {
        runs.push({
          round,
          ok: false,
          failure: 'not run: the server exited',
          server_processes: 0,
          concurrency: o.concurrency,
          argon2,
        });
        continue;
      }
      const run = await measureSignin(
        round,
        issuer,
        server,
        signin,
        o.client,
        o.concurrency,
        round === 1 ? o.warmup : 1,
        o.duration,
        argon2,
      );
      runs.push(run);
      printRun(run, o.rounds);
    }
  } finally {
    closeIdleConnections();
    await server.stop();
  }
  return summariseSignin({
    options: { ...o, workers: options.workers, thread_pool: threadPoolSize() },
    machine: {
      cores,
      cpu_model: cpuModel(),
      node: process.version,
      loadavg_start: loadavgStart,
      loadavg_end: loadAverage(),
      busy_before: busyBefore,
    },
    gatehouse: gatehouseVersion(gatehouseRoot),
    start_ms_with_users: startMs,
    runs,
  });
}

/**
 * `--profile` (with `--signin-only`, or after the token profile): one sign-in run under `node --cpu-prof`,
 * its main-thread samples of the measured window summed by part of the work. V8 samples on a wall clock:
 * a main thread waiting for a core is charged to whatever it was running, so with the cores saturated
 * (argon2id on 8 threads, 2 cores) the shares mostly show which code runs when the pool's threads wake.
 * The profiled run therefore uses 1 virtual user unless BENCH_SIGNIN_CONCURRENCY is set: the machine is
 * not saturated, and a sample is CPU.
 */
export async function profileSignin(setup: SigninSetup & { profileDir: string }): Promise<void> {
  const { options, profileDir } = setup;
  const o = options.signinOptions;
  const concurrency = process.env.BENCH_SIGNIN_CONCURRENCY ? o.concurrency : 1;
  mkdirSync(profileDir, { recursive: true });
  for (const old of readdirSync(profileDir).filter((f) => f.endsWith('.cpuprofile'))) rmSync(join(profileDir, old));
  const signin = createSigninWorkload(o.users);
  const nodeArgs = ['--cpu-prof', `--cpu-prof-dir=${profileDir}`];
  const { issuer, server } = await startSigninServer(setup, signin, nodeArgs);
  let run: SigninRun;
  try {
    const argon2 = await measureArgon2(setup.gatehouseRoot, options.workers, availableParallelism(), o.argon2Seconds);
    printArgon2(argon2, 1, 1);
    console.log(
      `Gatehouse started with node ${nodeArgs.join(' ')}; ${concurrency} virtual user${concurrency === 1 ? '' : 's'}, ${o.warmup} s ramp-up, ${o.duration} s measured…`,
    );
    run = await measureSignin(1, issuer, server, signin, o.client, concurrency, o.warmup, o.duration, argon2);
    printRun(run, 1);
  } finally {
    closeIdleConnections();
    await server.stop(); // a clean exit writes the profiles
  }
  const profiles = readdirSync(profileDir)
    .filter((f) => f.endsWith('.cpuprofile'))
    .map((f) => join(profileDir, f));
  if (!profiles.length)
    throw new Error(
      `No profile was written to ${profileDir}: did Gatehouse exit cleanly on SIGTERM? Log: ${server.logTail()}`,
    );
  const window = run.window_monotonic_us;
  console.log(
    `\n${profiles.length} profile(s) in ${profileDir} (the primary's is the nearly idle one); below, only the samples of the measured window:\n`,
  );
  for (const path of profiles) console.log(`${readProfile(path, window)}\n`);

  // All profiles together, by part of the work.
  const totals = new Map<string, number>();
  const ownFiles = new Map<string, number>();
  let busy = 0;
  for (const path of profiles) {
    const p = profileByCategory(path, window);
    busy += p.busyMicros;
    for (const [category, micros] of p.byCategory) totals.set(category, (totals.get(category) ?? 0) + micros);
    for (const [file, micros] of p.otherGatehouse) ownFiles.set(file, (ownFiles.get(file) ?? 0) + micros);
  }
  if (!busy) {
    console.log(
      'No sample fell in the measured window (the profile clock did not match CLOCK_MONOTONIC); see the profiles themselves.',
    );
    return;
  }
  const mainMs = run.ok ? run.main_thread_cpu_ms_per_login : undefined;
  console.log(
    `Main threads, by part of the work (${format(busy / 1000)} ms sampled in the window` +
      (run.ok && run.load
        ? `, ${format(run.load.logins)} logins: ${format(busy / 1000 / run.load.logins, 2)} ms sampled per login, ${format(mainMs!, 2)} ms CPU per login from /proc`
        : '') +
      '):',
  );
  for (const category of categories) {
    const micros = totals.get(category) ?? 0;
    if (!micros) continue;
    const perLogin = mainMs ? `  ≈ ${format((micros / busy) * mainMs, 2)} ms CPU/login` : '';
    console.log(`  ${((micros / busy) * 100).toFixed(1).padStart(5)} %  ${category}${perLogin}`);
  }
  const topOwn = [...ownFiles].sort((a, b) => b[1] - a[1]).slice(0, 8);
  if (topOwn.length)
    console.log(
      `  other Gatehouse code by file: ${topOwn.map(([file, micros]) => `${file} ${((micros / busy) * 100).toFixed(1)} %`).join(', ')}`,
    );
  if (!run.ok) return;
  console.log(
    `\nServer CPU per login ${format(run.cpu_ms_per_login!, 1)} ms (from /proc): main threads ${format(run.main_thread_cpu_ms_per_login!, 1)} ms (split above), ` +
      `other threads ${format(run.other_threads_cpu_ms_per_login!, 1)} ms (the thread pool: one argon2id verification, ${format(run.argon2.cpu_ms_per_verification, 1)} ms alone, ` +
      `and the access and ID token signatures; V8's helper threads: GC). Load generator: ${format(run.generator_cpu_ms_per_login!, 1)} ms per login.`,
  );
  console.log(
    'Server threads, CPU ms per login (busiest first): ' +
      run
        .threads!.slice(0, 16)
        .map((t) => `${t.main ? 'main ' : ''}${t.pid}/${t.tid} ${format(t.cpu_ms_per_login, 2)}`)
        .join(', '),
  );
  console.log(
    `Mean wall time per step: ${steps.map((step) => `${step} ${format(run.load!.step_ms[step], 1)} ms`).join(', ')}`,
  );
}
