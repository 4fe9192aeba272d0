// Medians, ratios and the issue's targets from the raw runs; the printed table and .bench/results.json.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Ceiling } from './ceiling.js';
import type { RunResult } from './measure.js';
import type { BenchOptions } from './options.js';
import { type Alg, algs, type TokenTarget } from './workload.js';

type ServerName = TokenTarget['name'];
const servers: readonly ServerName[] = ['gatehouse', 'oidc-provider'];

export interface ProcessMemory {
  pid: number;
  role: 'primary' | 'worker';
  rss_mb: number;
}

export interface RawResults {
  options: BenchOptions;
  machine: { cores: number; cpu_model: string; node: string; loadavg_start: string; loadavg_end: string };
  versions: { gatehouse: string; oidc_provider: string; wrk: string };
  runs: RunResult[];
  ceilings: (Ceiling & { round: number })[];
  start_ms: Record<ServerName, number>;
  rss: Record<ServerName, ProcessMemory[]>;
}

/** Medians over the runs that succeeded; null where none did. */
export interface ServerSummary {
  requests_per_s: number | null;
  p50_ms: number | null;
  p99_ms: number | null;
  cpu_us_per_token: number | null;
  /** requests_per_s ÷ the signing ceiling. */
  fraction_of_ceiling: number | null;
  /** cpu_us_per_token − the CPU of one signature (measured by the ceiling; 1e6 × cores ÷ ceiling on an idle machine). */
  cpu_us_beyond_signature: number | null;
  runs_ok: number;
  runs: number;
}

export interface Target {
  name: string;
  /** The figure, as printed. */
  value: string;
  met: boolean | null;
}

export interface Results extends RawResults {
  date: string;
  server_processes: Record<ServerName, { requested: number; found: number }>;
  /** Medians of the per-round measurements (see Ceiling). */
  ceiling: Record<
    Alg,
    {
      signatures_per_s: number | null;
      cpu_us_per_signature: number | null;
      cpu_us_per_signature_from_rate: number | null;
      core_share: number | null;
    }
  >;
  summary: Record<
    Alg,
    Record<ServerName, ServerSummary> & {
      ratio: { requests_per_s: number | null; p99: number | null; cpu_us_per_token: number | null };
    }
  >;
  targets: Target[];
}

export function median(values: readonly number[]): number | null {
  if (!values.length) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

const divide = (a: number | null, b: number | null) => (a === null || b === null || b === 0 ? null : a / b);
const subtract = (a: number | null, b: number | null) => (a === null || b === null ? null : a - b);

function summariseServer(runs: RunResult[], ceiling: Results['ceiling'][Alg]): ServerSummary {
  const ok = runs.filter((run) => run.ok);
  const med = (pick: (run: RunResult) => number | undefined) =>
    median(ok.map(pick).filter((v): v is number => v !== undefined));
  const requestsPerSecond = med((run) => run.requests_per_s);
  const cpu = med((run) => run.cpu_us_per_token);
  return {
    requests_per_s: requestsPerSecond,
    p50_ms: med((run) => run.p50_ms),
    p99_ms: med((run) => run.p99_ms),
    cpu_us_per_token: cpu,
    fraction_of_ceiling: divide(requestsPerSecond, ceiling.signatures_per_s),
    cpu_us_beyond_signature: subtract(cpu, ceiling.cpu_us_per_signature),
    runs_ok: ok.length,
    runs: runs.length,
  };
}

const fixed = (value: number | null, digits = 0, unit = '') =>
  value === null
    ? '—'
    : value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits }) + unit;
const times = (value: number | null) => (value === null ? '—' : `${value.toFixed(2)}×`);
const percent = (value: number | null) => (value === null ? '—' : `${(value * 100).toFixed(0)} %`);
const atLeast = (value: number | null, bound: number) => (value === null ? null : value >= bound);

function evaluateTargets(results: Omit<Results, 'targets'>): Target[] {
  const rs = results.summary.RS256;
  const es = results.summary.ES256;
  const gatehouseRss = Math.max(...results.rss.gatehouse.map((p) => p.rss_mb));
  const rssKnown = results.rss.gatehouse.length > 0;
  return [
    {
      name: 'RS256 req/s ≥ 1.6× oidc-provider',
      value: times(rs.ratio.requests_per_s),
      met: atLeast(rs.ratio.requests_per_s, 1.6),
    },
    {
      name: 'RS256 p99 no worse than oidc-provider',
      value: `${fixed(rs.gatehouse.p99_ms, 1)} vs ${fixed(rs['oidc-provider'].p99_ms, 1)} ms`,
      met:
        rs.gatehouse.p99_ms === null || rs['oidc-provider'].p99_ms === null
          ? null
          : rs.gatehouse.p99_ms <= rs['oidc-provider'].p99_ms,
    },
    {
      name: 'RS256 CPU per token beyond the signature ≤ 60 µs',
      value: fixed(rs.gatehouse.cpu_us_beyond_signature, 0, ' µs'),
      met: rs.gatehouse.cpu_us_beyond_signature === null ? null : rs.gatehouse.cpu_us_beyond_signature <= 60,
    },
    {
      name: 'ES256 req/s ≥ 2.5× oidc-provider',
      value: times(es.ratio.requests_per_s),
      met: atLeast(es.ratio.requests_per_s, 2.5),
    },
    {
      name: 'start on an existing database < 2 s',
      value: fixed(results.start_ms.gatehouse, 0, ' ms'),
      met: results.start_ms.gatehouse < 2000,
    },
    {
      name: 'every Gatehouse process < 150 MB RSS',
      value: rssKnown ? fixed(gatehouseRss, 0, ' MB') : '—',
      met: rssKnown ? gatehouseRss < 150 : null,
    },
  ];
}

export function summarise(raw: RawResults): Results {
  const ceiling = Object.fromEntries(
    algs.map((alg) => {
      const measured = raw.ceilings.filter((c) => c.alg === alg);
      const med = (pick: (c: Ceiling) => number) => median(measured.map(pick));
      return [
        alg,
        {
          signatures_per_s: med((c) => c.signatures_per_s),
          cpu_us_per_signature: med((c) => c.cpu_us_per_signature),
          cpu_us_per_signature_from_rate: med((c) => c.cpu_us_per_signature_from_rate),
          core_share: med((c) => c.core_share),
        },
      ];
    }),
  ) as Results['ceiling'];
  const summary = Object.fromEntries(
    algs.map((alg) => {
      const [gatehouse, oidc] = servers.map((name) =>
        summariseServer(
          raw.runs.filter((r) => r.alg === alg && r.server === name),
          ceiling[alg],
        ),
      );
      const ratio = {
        requests_per_s: divide(gatehouse.requests_per_s, oidc.requests_per_s),
        p99: divide(gatehouse.p99_ms, oidc.p99_ms),
        cpu_us_per_token: divide(gatehouse.cpu_us_per_token, oidc.cpu_us_per_token),
      };
      return [alg, { gatehouse, 'oidc-provider': oidc, ratio }];
    }),
  ) as Results['summary'];
  const found = (name: ServerName) =>
    Math.max(0, ...raw.runs.filter((r) => r.server === name).map((r) => r.server_processes));
  const partial = {
    ...raw,
    date: new Date().toISOString(),
    server_processes: {
      gatehouse: { requested: raw.options.workers, found: found('gatehouse') },
      'oidc-provider': { requested: raw.options.workers, found: found('oidc-provider') },
    },
    ceiling,
    summary,
  };
  return { ...partial, targets: evaluateTargets(partial) };
}

/** Columns padded to their widest cell, figures right-aligned; an empty row is a blank line. */
function table(rows: string[][]): string {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((row) => (row[i] ?? '').length)));
  const isFigure = (cell: string) => /^[\d—][\d—.,×%/ a-zµsMB]*$/.test(cell);
  return rows
    .map((row) =>
      row
        .map((cell, i) => (i > 0 && isFigure(cell) ? cell.padStart(widths[i]) : cell.padEnd(widths[i])))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

function describeProcesses(name: ServerName, results: Results): string {
  const { requested, found } = results.server_processes[name];
  const workers = found - 1;
  const shape = found > 1 ? `1 primary + ${workers} worker${workers === 1 ? '' : 's'}` : 'a single process';
  return `${name} ${found} (${shape}; ${requested} asked)`;
}

/** Other programs' CPU during the runs, and the ceiling's share of the cores: how quiet the machine was. */
function busyMachineNote(results: Results): string[] {
  const other = results.runs.map((run) => run.other_cpu_share).filter((v): v is number => v !== undefined);
  const shares = results.ceilings.map((c) => c.core_share);
  const worstOther = other.length ? Math.max(...other) : 0;
  const worstShare = shares.length ? Math.min(...shares) : 1;
  if (worstOther < 0.05 && worstShare > 0.95)
    return ['The machine was otherwise idle (anything else used under 5 % of it during every run).'];
  return [
    `Anything else on this machine (other programs, the idle server) used ${percent(median(other))} of the cores in the median run (at most ${percent(worstOther)}); ` +
      `the signing ceiling got ${percent(median(shares))} of the cores in the median measurement (at least ${percent(worstShare)}).`,
    'Runs where they took CPU are slower and noisier than on an idle machine; medians over interleaved rounds damp this, they do not remove it.',
  ];
}

export function formatReport(results: Results): string {
  const { options, machine } = results;
  const lines = [
    'Token endpoint benchmark: client_credentials, client_secret_basic, JWT access token',
    `Machine: ${machine.cores} cores, ${machine.cpu_model}, Node ${machine.node}, load average ${machine.loadavg_start} at start, ${machine.loadavg_end} at end`,
    `Load: wrk -t${options.wrkThreads} -c${options.connections} -d${options.duration}s, ` +
      (options.rounds > 1 ? `${options.rounds} interleaved rounds, medians` : 'one round'),
    `Versions: Gatehouse ${results.versions.gatehouse}; oidc-provider ${results.versions.oidc_provider}; ${results.versions.wrk}`,
    `Server processes found: ${describeProcesses('gatehouse', results)}; ${describeProcesses('oidc-provider', results)}`,
    '',
  ];
  const rows: string[][] = [
    ['', 'server', 'req/s', 'p50 ms', 'p99 ms', 'CPU µs/token', 'beyond sig. µs', 'of ceiling', 'runs ok'],
  ];
  for (const alg of algs) {
    const s = results.summary[alg];
    for (const name of servers) {
      const x = s[name];
      rows.push([
        name === 'gatehouse' ? alg : '',
        name,
        fixed(x.requests_per_s),
        fixed(x.p50_ms, 1),
        fixed(x.p99_ms, 1),
        fixed(x.cpu_us_per_token),
        fixed(x.cpu_us_beyond_signature),
        percent(x.fraction_of_ceiling),
        `${x.runs_ok}/${x.runs}`,
      ]);
    }
    rows.push([
      '',
      'gatehouse ÷ oidc-provider',
      times(s.ratio.requests_per_s),
      '',
      times(s.ratio.p99),
      times(s.ratio.cpu_us_per_token),
      '',
      '',
      '',
    ]);
    const c = results.ceiling[alg];
    rows.push(['', 'signing ceiling', fixed(c.signatures_per_s), '', '', fixed(c.cpu_us_per_signature), '', '', '']);
    rows.push([]);
  }
  lines.push(table(rows).trimEnd());
  lines.push(
    `(signing ceiling: node:crypto signatures/s on all ${machine.cores} cores; its CPU µs column is the CPU of one signature)`,
    ...busyMachineNote(results),
    '',
    `Start, spawn → first 200 from /healthz on an existing database: gatehouse ${fixed(results.start_ms.gatehouse)} ms` +
      ` (oidc-provider, to its discovery document: ${fixed(results.start_ms['oidc-provider'])} ms)`,
    'RSS after the load: ' +
      servers
        .map((name) => `${name} ${results.rss[name].map((p) => `${fixed(p.rss_mb)} MB ${p.role}`).join(', ') || '—'}`)
        .join('; '),
    '',
    'Targets (docs/benchmarks.md "The targets"), each measured in this run:',
    table(results.targets.map((t) => [`  ${t.name}`, t.value, t.met === null ? 'unknown' : t.met ? 'met' : 'NOT met'])),
  );
  const failed = results.runs.filter((run) => !run.ok);
  if (failed.length) {
    lines.push('', `Failed runs (${failed.length}), left out of the medians:`);
    for (const run of failed) lines.push(`  round ${run.round} ${run.alg} ${run.server}: ${run.failure}`);
  }
  return lines.join('\n');
}

export function writeResults(path: string, results: object): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, `${JSON.stringify(results, null, 2)}\n`);
}
