// npm run bench -- --profile: one RS256 run of Gatehouse started with `node --cpu-prof` (Node 20 refuses
// it in NODE_OPTIONS; cluster workers inherit it from the primary's execArgv, so each writes its own
// profile), then a short reading of the profiles: where the main threads' CPU went, by package or
// Gatehouse source file and by function.
import { mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { setUpGatehouse } from './gatehouse.js';
import { checkTokenResponse, measureRun, warmUp } from './measure.js';
import type { BenchOptions } from './options.js';
import type { Workload } from './workload.js';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** Which package, Gatehouse file or runtime part a function belongs to. */
function areaOf(frame: ProfileNode['callFrame']): string {
  const { url, functionName } = frame;
  if (!url) return functionName.startsWith('(') ? functionName : '(native)';
  if (url.startsWith('node:')) return 'node: ' + url.slice('node:'.length).split('/').slice(0, 2).join('/');
  const pkg = /\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url);
  if (pkg) return pkg[1];
  const own = /\/dist\/(src\/.+)\.js$/.exec(url);
  return own ? `gatehouse ${own[1]}` : url;
}

function shortLocation(frame: ProfileNode['callFrame']): string {
  if (!frame.url) return '';
  const pkg = /\/node_modules\/(.+)$/.exec(frame.url);
  const own = /\/dist\/(src\/.+)$/.exec(frame.url);
  return `${pkg?.[1] ?? own?.[1] ?? frame.url}:${frame.lineNumber + 1}`;
}

function top(map: Map<string, number>, count: number): [string, number][] {
  return [...map].sort((a, b) => b[1] - a[1]).slice(0, count);
}

export function readProfile(path: string): string {
  const profile = JSON.parse(readFileSync(path, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const byArea = new Map<string, number>();
  const byFunction = new Map<string, number>();
  let busy = 0;
  profile.samples.forEach((id, i) => {
    const frame = byId.get(id)!.callFrame;
    const micros = profile.timeDeltas[i] ?? 0;
    if (frame.functionName === '(idle)') return;
    busy += micros;
    const area = areaOf(frame);
    byArea.set(area, (byArea.get(area) ?? 0) + micros);
    const name = `${frame.functionName || '(anonymous)'} ${shortLocation(frame)}`.trim();
    byFunction.set(name, (byFunction.get(name) ?? 0) + micros);
  });
  const share = (micros: number) => `${((micros / busy) * 100).toFixed(1).padStart(5)} %`;
  return [
    `${path}: ${(busy / 1000).toFixed(0)} ms of main-thread CPU sampled (idle left out; signing on the thread pool is not in it)`,
    '  by area (self time):',
    ...top(byArea, 12).map(([area, micros]) => `    ${share(micros)}  ${area}`),
    '  by function (self time):',
    ...top(byFunction, 15).map(([name, micros]) => `    ${share(micros)}  ${name}`),
  ].join('\n');
}

export async function profileGatehouse(setup: {
  options: BenchOptions; workload: Workload; dir: string; logDir: string; gatehouseRoot: string; profileDir: string;
}): Promise<void> {
  const { options, workload, profileDir } = setup;
  const shape = { connections: options.connections, threads: options.wrkThreads };
  mkdirSync(profileDir, { recursive: true });
  for (const old of readdirSync(profileDir).filter((f) => f.endsWith('.cpuprofile'))) rmSync(join(profileDir, old));

  const gatehouse = await setUpGatehouse({ root: setup.gatehouseRoot, dir: setup.dir, logDir: setup.logDir, workers: options.workers, workload });
  await (await gatehouse.start()).stop(); // create the database: the profiles then hold a start on an existing one
  const nodeArgs = ['--cpu-prof', `--cpu-prof-dir=${profileDir}`];
  const server = await gatehouse.start(nodeArgs);
  await checkTokenResponse(gatehouse.target, 'RS256', workload);
  console.log(`Gatehouse started with node ${nodeArgs.join(' ')} (${server.processes().length} processes). Warming up ${options.warmup} s…`);
  await warmUp(gatehouse.target, 'RS256', workload, options.warmup, shape);
  const run = await measureRun(1, gatehouse.target, server, 'RS256', workload, options.duration, shape);
  console.log(
    run.ok
      ? `RS256 under the profiler: ${run.requests_per_s!.toFixed(0)} req/s, p99 ${run.p99_ms!.toFixed(1)} ms, ${run.cpu_us_per_token!.toFixed(0)} µs CPU/token (the profiler costs CPU too)`
      : `RS256 run FAILED: ${run.failure}`,
  );
  await server.stop(); // a clean exit writes the profiles
  const profiles = readdirSync(profileDir).filter((f) => f.endsWith('.cpuprofile')).map((f) => join(profileDir, f));
  if (!profiles.length) throw new Error(`No profile was written to ${profileDir}: did Gatehouse exit cleanly on SIGTERM? Log: ${server.logTail()}`);
  console.log(`\n${profiles.length} profile(s) in ${profileDir} (open them in Chrome DevTools → Performance, or VS Code):\n`);
  for (const path of profiles) console.log(readProfile(path) + '\n');
}
