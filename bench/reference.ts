// The reference measurement (npm run bench -- --reference): bench/reference-server.ts, the cheapest token
// server Node and Fastify allow for the benchmark's work, set up with the same workers and load as the
// compared servers, its medians, its table, and its `reference` key in .bench/results.json. What it costs
// per token beyond the signature is the HTTP stack's share of that figure (docs/benchmarks.md).
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Ceiling } from './ceiling.js';
import { freePort } from './http.js';
import type { LoadTarget, RunResult } from './measure.js';
import type { BenchOptions } from './options.js';
import { median, writeResults } from './report.js';
import { type RunningServer, startServer } from './servers.js';
import { type Alg, algs, SCOPE, type Workload } from './workload.js';

const program = fileURLToPath(new URL('./reference-server.js', import.meta.url));
const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

export interface Reference {
  target: LoadTarget;
  start(): Promise<RunningServer>;
}

export async function setUpReference(options: {
  logDir: string;
  workers: number;
  workload: Workload;
}): Promise<Reference> {
  const { workload } = options;
  const port = await freePort();
  const issuer = `http://127.0.0.1:${port}/`;
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    NODE_ENV: 'production',
    REFERENCE_PORT: String(port),
    REFERENCE_WORKERS: String(options.workers),
    REFERENCE_ISSUER: issuer,
    REFERENCE_CLIENT_ID: workload.clientId,
    REFERENCE_SCOPE: SCOPE,
    REFERENCE_AUDIENCES: JSON.stringify(Object.fromEntries(algs.map((alg) => [workload.audiences[alg], alg]))),
  };
  // Gatehouse's request: the same form and Authorization header.
  const body = (alg: Alg) =>
    new URLSearchParams({ grant_type: 'client_credentials', audience: workload.audiences[alg] }).toString();
  return {
    target: {
      name: 'reference',
      tokenUrl: `${issuer}oauth/token`,
      body: { RS256: body('RS256'), ES256: body('ES256') },
    },
    start: () =>
      startServer({
        name: 'reference',
        args: [program],
        env,
        readyUrl: `${issuer}healthz`,
        logPath: join(options.logDir, 'reference.log'),
      }),
  };
}

/** Medians over the runs that succeeded; null where none did. */
export interface ReferenceSummary {
  requests_per_s: number | null;
  p50_ms: number | null;
  p99_ms: number | null;
  cpu_us_per_token: number | null;
  /** The signing ceiling's CPU per signature. */
  cpu_us_per_signature: number | null;
  /** Per round, cpu_us_per_token − the same round's cpu_us_per_signature; then the median. */
  cpu_us_beyond_signature: number | null;
  runs_ok: number;
  runs: number;
}

export interface ReferenceResults {
  date: string;
  options: Pick<
    BenchOptions,
    'duration' | 'rounds' | 'connections' | 'wrkThreads' | 'workers' | 'warmup' | 'ceilingSeconds'
  >;
  machine: { cores: number; cpu_model: string; node: string; loadavg_start: string; loadavg_end: string };
  versions: { fastify: string; formbody: string };
  start_ms: number;
  server_processes: { requested: number; found: number };
  runs: RunResult[];
  ceilings: (Ceiling & { round: number })[];
  summary: Record<Alg, ReferenceSummary>;
}

const packageVersion = (name: string) =>
  (JSON.parse(readFileSync(join(repoRoot, 'node_modules', name, 'package.json'), 'utf8')) as { version: string })
    .version;

type RawReference = Omit<ReferenceResults, 'date' | 'versions' | 'summary' | 'server_processes'>;

function summariseAlg(alg: Alg, raw: RawReference): ReferenceSummary {
  const runs = raw.runs.filter((run) => run.alg === alg);
  const ceilings = raw.ceilings.filter((c) => c.alg === alg);
  const ok = runs.filter((run) => run.ok);
  const med = (pick: (run: RunResult) => number | undefined) =>
    median(ok.map(pick).filter((v): v is number => v !== undefined));
  const beyond = ok.flatMap((run) => {
    const ceiling = ceilings.find((c) => c.round === run.round);
    return ceiling && run.cpu_us_per_token !== undefined ? [run.cpu_us_per_token - ceiling.cpu_us_per_signature] : [];
  });
  return {
    requests_per_s: med((run) => run.requests_per_s),
    p50_ms: med((run) => run.p50_ms),
    p99_ms: med((run) => run.p99_ms),
    cpu_us_per_token: med((run) => run.cpu_us_per_token),
    cpu_us_per_signature: median(ceilings.map((c) => c.cpu_us_per_signature)),
    cpu_us_beyond_signature: median(beyond),
    runs_ok: ok.length,
    runs: runs.length,
  };
}

export function summariseReference(raw: RawReference): ReferenceResults {
  return {
    date: new Date().toISOString(),
    ...raw,
    versions: { fastify: packageVersion('fastify'), formbody: packageVersion('@fastify/formbody') },
    server_processes: {
      requested: raw.options.workers,
      found: Math.max(0, ...raw.runs.map((run) => run.server_processes)),
    },
    summary: Object.fromEntries(algs.map((alg) => [alg, summariseAlg(alg, raw)])) as Record<Alg, ReferenceSummary>,
  };
}

const fixed = (value: number | null, digits = 0) =>
  value === null
    ? '—'
    : value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });

export function formatReferenceReport(results: ReferenceResults): string {
  const { options, machine } = results;
  const header = ['alg', 'req/s', 'p50 ms', 'p99 ms', 'CPU µs/token', 'signature µs', 'beyond sig. µs', 'runs ok'];
  const rows = algs.map((alg) => {
    const s = results.summary[alg];
    return [
      alg,
      fixed(s.requests_per_s),
      fixed(s.p50_ms, 1),
      fixed(s.p99_ms, 1),
      fixed(s.cpu_us_per_token),
      fixed(s.cpu_us_per_signature),
      fixed(s.cpu_us_beyond_signature),
      `${s.runs_ok}/${s.runs}`,
    ];
  });
  const widths = header.map((_, i) => Math.max(...[header, ...rows].map((row) => row[i].length)));
  const line = (row: string[]) =>
    row.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join('  ');
  const failed = results.runs.filter((run) => !run.ok);
  return [
    `Reference: Fastify ${results.versions.fastify} + @fastify/formbody ${results.versions.formbody}, parse, claims, node:crypto sign; no client authentication, no lookups`,
    `Machine: ${machine.cores} cores, ${machine.cpu_model}, Node ${machine.node}, load average ${machine.loadavg_start} at start, ${machine.loadavg_end} at end`,
    `Load: wrk -t${options.wrkThreads} -c${options.connections} -d${options.duration}s, ${options.rounds} interleaved rounds, medians; ` +
      `${results.server_processes.found} server processes (${options.workers} workers asked)`,
    '',
    line(header),
    ...rows.map(line),
    "(signature µs: the signing ceiling's CPU per signature; beyond sig.: CPU/token − that, per round, then the median)",
    ...(failed.length
      ? [
          '',
          `Failed runs (${failed.length}), left out of the medians:`,
          ...failed.map((run) => `  round ${run.round} ${run.alg}: ${run.failure}`),
        ]
      : []),
  ].join('\n');
}

/** Sets the `reference` key of results.json, keeping whatever else the file holds. */
export function writeReferenceResults(path: string, reference: ReferenceResults): void {
  const existing = existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>) : {};
  writeResults(path, { ...existing, reference });
}
