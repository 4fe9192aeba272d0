// What the audit log costs the token endpoint (npm run bench -- --audit): two Gatehouse servers from the same
// build, one with GATEHOUSE_AUDIT_LOG=off and one with it on (every token recorded: a seccft row written in a
// batch, and its log line, which the benchmark's log level warn drops as any production info line would be
// at that level), loaded in turn with the token benchmark's load (RS256, interleaved rounds). The figure is the
// servers' CPU per token (/proc/<pid>/stat of the primary and its workers), median over rounds, and on ÷ off.
import { availableParallelism } from 'node:os';
import { setUpGatehouse } from './gatehouse.js';
import { percent, warnIfBusy } from './machine.js';
import { checkTokenResponse, type LoadShape, measureRun, type RunResult, warmUp } from './measure.js';
import type { BenchOptions } from './options.js';
import type { Workload } from './workload.js';

export interface AuditSetup {
  options: BenchOptions;
  workload: Workload;
  dir: string;
  logDir: string;
  gatehouseRoot: string;
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
};

export async function auditBenchmark({ options, workload, dir, logDir, gatehouseRoot }: AuditSetup): Promise<string> {
  await warnIfBusy(availableParallelism());
  const shape: LoadShape = { connections: options.connections, threads: options.wrkThreads };
  const modes = ['off', 'on'] as const;
  const servers = [];
  for (const mode of modes) {
    const gatehouse = await setUpGatehouse({
      root: gatehouseRoot,
      dir,
      logDir,
      workers: options.workers,
      workload,
      name: `gatehouse-audit-${mode}`,
      env: { GATEHOUSE_AUDIT_LOG: mode },
    });
    await (await gatehouse.start()).stop(); // creates the database
    servers.push({ mode, gatehouse, server: await gatehouse.start() });
  }
  const runs: Record<(typeof modes)[number], RunResult[]> = { off: [], on: [] };
  try {
    for (const { gatehouse } of servers) await checkTokenResponse(gatehouse.target, 'RS256', workload);
    for (const { gatehouse } of servers) await warmUp(gatehouse.target, 'RS256', workload, options.warmup, shape);
    for (let round = 1; round <= options.rounds; round++) {
      for (const { mode, gatehouse, server } of servers) {
        const run = await measureRun(round, gatehouse.target, server, 'RS256', workload, options.duration, shape);
        if (!run.ok) throw new Error(`audit ${mode}, round ${round}: ${run.failure}`);
        runs[mode].push(run);
        console.log(
          `round ${round}/${options.rounds}  audit log ${mode.padEnd(3)}  ${Math.round(run.requests_per_s!)} req/s  ` +
            `${Math.round(run.cpu_us_per_token!)} µs CPU/token  (anything else ${percent(run.other_cpu_share!)} of the cores)`,
        );
      }
    }
  } finally {
    await Promise.all(servers.map(({ server }) => server.stop()));
  }
  const cpu = (mode: 'off' | 'on') => median(runs[mode].map((r) => r.cpu_us_per_token!));
  const rate = (mode: 'off' | 'on') => median(runs[mode].map((r) => r.requests_per_s!));
  return [
    `The audit log on the token endpoint (RS256, ${options.workers} workers, ${options.rounds} rounds of ${options.duration} s, medians)`,
    '',
    '| audit log | req/s | CPU µs/token |',
    '|---|---|---|',
    `| off | ${Math.round(rate('off'))} | ${Math.round(cpu('off'))} |`,
    `| on | ${Math.round(rate('on'))} | ${Math.round(cpu('on'))} |`,
    '',
    `CPU per token, on ÷ off: ${(cpu('on') / cpu('off')).toFixed(3)}`,
  ].join('\n');
}
