// One measured run: wrk against a server, with the server's CPU time read from /proc before and after.
// A run with any error (status ≥ 400, socket errors, timeouts) or a server process that died is failed:
// reported as such, never averaged in.
import { httpRequest } from './http.js';
import { availableParallelism } from 'node:os';
import { cpuSnapshot, cpuUsedMicros, isRunning, machineBusyMicros, reapedChildrenCpuMicros } from './proc-stats.js';
import type { RunningServer } from './servers.js';
import type { Alg, TokenTarget, Workload } from './workload.js';
import { errorCount, runWrk, type WrkResult } from './wrk.js';

/** A server under load: one of the compared token servers, or the reference (bench/reference.ts). */
export type LoadTarget = Omit<TokenTarget, 'name'> & { name: TokenTarget['name'] | 'reference' };

export interface LoadShape {
  connections: number;
  threads: number;
}

export interface RunResult {
  round: number;
  server: LoadTarget['name'];
  alg: Alg;
  ok: boolean;
  failure?: string;
  /** Processes of the server (primary and workers) when the run started. */
  server_processes: number;
  requests?: number;
  requests_per_s?: number;
  p50_ms?: number;
  p99_ms?: number;
  server_cpu_s?: number;
  cpu_us_per_token?: number;
  /** CPU wrk used, ÷ (cores × run time). */
  wrk_cpu_share?: number;
  /**
   * CPU that neither the server under load, wrk nor the benchmark used during the run (other programs,
   * and the other server idling), ÷ (cores × run time). Above a few % the figures of this run are lower
   * than on an otherwise idle machine.
   */
  other_cpu_share?: number;
  wrk?: WrkResult;
}

function describeErrors(result: WrkResult): string {
  const parts = Object.entries(result.errors)
    .filter(([, n]) => n > 0)
    .map(([kind, n]) => `${kind === 'status' ? 'status ≥ 400' : kind} ${n}`);
  return `${errorCount(result)} errors in ${result.requests} requests (${parts.join(', ')})`;
}

export async function measureRun(
  round: number,
  target: LoadTarget,
  server: RunningServer,
  alg: Alg,
  workload: Workload,
  seconds: number,
  shape: LoadShape,
): Promise<RunResult> {
  const pids = server.processes();
  const base = { round, server: target.name, alg, server_processes: pids.length };
  const machineBefore = machineBusyMicros();
  const wrkBefore = reapedChildrenCpuMicros();
  const selfBefore = process.cpuUsage();
  const before = cpuSnapshot(pids);
  let wrk: WrkResult;
  try {
    wrk = await runWrk({
      url: target.tokenUrl,
      body: target.body[alg],
      authorization: workload.authorization,
      seconds,
      ...shape,
    });
  } catch (error) {
    return { ...base, ok: false, failure: (error as Error).message };
  }
  const after = cpuSnapshot(pids);
  const ownCpu = process.cpuUsage(selfBefore);
  const wrkCpu = reapedChildrenCpuMicros() - wrkBefore;
  const machineCpu = machineBusyMicros() - machineBefore;
  const died = pids.filter((pid) => !isRunning(pid));
  const serverCpu = cpuUsedMicros(before, after);
  const capacity = availableParallelism() * wrk.duration_s * 1e6;
  const figures = {
    requests: wrk.requests,
    requests_per_s: wrk.requests_per_s,
    p50_ms: wrk.latency_us.p50 / 1000,
    p99_ms: wrk.latency_us.p99 / 1000,
    server_cpu_s: serverCpu / 1e6,
    cpu_us_per_token: wrk.requests ? serverCpu / wrk.requests : undefined,
    wrk_cpu_share: wrkCpu / capacity,
    other_cpu_share: Math.max(0, machineCpu - serverCpu - wrkCpu - ownCpu.user - ownCpu.system) / capacity,
    wrk,
  };
  if (died.length) {
    const failure = `server process${died.length > 1 ? 'es' : ''} ${died.join(', ')} exited during the run; ${server.logPath} ends with:\n${server.logTail()}`;
    return { ...base, ...figures, ok: false, failure };
  }
  if (errorCount(wrk) > 0) return { ...base, ...figures, ok: false, failure: describeErrors(wrk) };
  return { ...base, ...figures, ok: true };
}

/** Unmeasured load, so both servers are past JIT warm-up and connection set-up when measured. */
export async function warmUp(
  target: LoadTarget,
  alg: Alg,
  workload: Workload,
  seconds: number,
  shape: LoadShape,
): Promise<string | undefined> {
  const wrk = await runWrk({
    url: target.tokenUrl,
    body: target.body[alg],
    authorization: workload.authorization,
    seconds,
    ...shape,
  });
  return errorCount(wrk) ? describeErrors(wrk) : undefined;
}

function decodeSegment(segment: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(segment, 'base64url').toString('utf8')) as Record<string, unknown>;
}

/**
 * One request before any load: the answer must be a 200 with a JWT access token signed with `alg` for
 * the API, so both servers are known to do the same work (oidc-provider without `resource` would
 * answer with an opaque token).
 */
export async function checkTokenResponse(target: LoadTarget, alg: Alg, workload: Workload): Promise<void> {
  const answer = await httpRequest(target.tokenUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: workload.authorization },
    body: target.body[alg],
  });
  const fail = (why: string) =>
    new Error(
      `${target.name} ${alg}: ${why}. POST ${target.tokenUrl} ${target.body[alg]} answered ${answer.status}: ${answer.body.slice(0, 500)}`,
    );
  if (answer.status !== 200) throw fail('not a 200');
  const token = (JSON.parse(answer.body) as { access_token?: unknown }).access_token;
  const parts = typeof token === 'string' ? token.split('.') : [];
  if (parts.length !== 3) throw fail('the access token is not a JWT');
  const header = decodeSegment(parts[0]);
  const payload = decodeSegment(parts[1]);
  if (header.alg !== alg) throw fail(`the access token is signed with ${String(header.alg)}`);
  const aud = Array.isArray(payload.aud) ? payload.aud : [payload.aud];
  if (!aud.includes(workload.audiences[alg])) throw fail(`the access token's aud is ${JSON.stringify(payload.aud)}`);
}
