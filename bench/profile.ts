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
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  samples: number[];
  timeDeltas: number[];
}

/** A stretch of CLOCK_MONOTONIC in µs (V8 stamps its samples on that clock, as process.hrtime does). */
export interface SampleWindow {
  start: number;
  end: number;
}

/** Calls `each` for every sample (node id, µs it stands for) taken inside the window (all without one). */
function forEachSample(
  profile: CpuProfile,
  window: SampleWindow | undefined,
  each: (id: number, micros: number) => void,
): void {
  let at = profile.startTime;
  profile.samples.forEach((id, i) => {
    const delta = profile.timeDeltas[i] ?? 0;
    at += delta;
    if (!window || (at >= window.start && at <= window.end)) each(id, delta);
  });
}

/** Which package, Gatehouse file or runtime part a function belongs to. */
function areaOf(frame: ProfileNode['callFrame']): string {
  const { url, functionName } = frame;
  if (!url) return functionName.startsWith('(') ? functionName : '(native)';
  if (url.startsWith('node:')) return `node: ${url.slice('node:'.length).split('/').slice(0, 2).join('/')}`;
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

export function readProfile(path: string, window?: SampleWindow): string {
  const profile = JSON.parse(readFileSync(path, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const byArea = new Map<string, number>();
  const byFunction = new Map<string, number>();
  let busy = 0;
  forEachSample(profile, window, (id, micros) => {
    const frame = byId.get(id)!.callFrame;
    if (frame.functionName === '(idle)') return;
    busy += micros;
    const area = areaOf(frame);
    byArea.set(area, (byArea.get(area) ?? 0) + micros);
    const name = `${frame.functionName || '(anonymous)'} ${shortLocation(frame)}`.trim();
    byFunction.set(name, (byFunction.get(name) ?? 0) + micros);
  });
  const share = (micros: number) => `${((micros / busy) * 100).toFixed(1).padStart(5)} %`;
  return [
    `${path}: ${(busy / 1000).toFixed(0)} ms of main-thread CPU sampled${window ? ' in the measured window' : ''} (idle left out; the thread pool's work, signatures and argon2id, is not in it)`,
    '  by area (self time):',
    ...top(byArea, 12).map(([area, micros]) => `    ${share(micros)}  ${area}`),
    '  by function (self time):',
    ...top(byFunction, 15).map(([name, micros]) => `    ${share(micros)}  ${name}`),
  ].join('\n');
}

/** The parts of a login the sign-in profile is summed into (see categoryOf). */
export const categories = [
  'page rendering (liquidjs, login/render, login/pages)',
  'database (better-sqlite3, kysely, store/)',
  'token signing (protocol/tokens, keys, jose)',
  'password check, main-thread part (@node-rs/argon2 calls, login/password)',
  'HTTP (Fastify, node:http, sockets, cookies, form parsing)',
  'logging (pino)',
  'other Gatehouse code',
  'garbage collection',
  '(program): V8 and native code outside JavaScript',
  'other',
] as const;
type Category = (typeof categories)[number];

/** The specific part a frame belongs to, or undefined for generic frames (node internals, natives). */
function specificCategory(area: string): Category | undefined {
  if (area === 'liquidjs' || /^gatehouse src\/login\/(render|liquid|view|colours|template-checks|pages)$/.test(area))
    return categories[0];
  if (area === 'better-sqlite3' || area === 'kysely' || area.startsWith('gatehouse src/store/')) return categories[1];
  if (area === 'jose' || area.startsWith('gatehouse src/protocol/tokens/') || area === 'gatehouse src/protocol/keys')
    return categories[2];
  if (
    area === '@node-rs/argon2' ||
    area === 'gatehouse src/login/password' ||
    area === 'gatehouse src/crypto/passwords'
  )
    return categories[3];
  if (area === 'pino' || area.startsWith('pino-') || area === 'sonic-boom' || area === 'gatehouse src/http/log')
    return categories[5];
  return undefined;
}

function isHttp(area: string): boolean {
  return (
    /^(fastify|@fastify\/.+|find-my-way|avvio|light-my-request|fast-.+|secure-json-parse|content-type|toad-cache|cookie|process-warning)$/.test(
      area,
    ) ||
    /^node: (_http_|net|internal\/streams|internal\/http|internal\/stream_base|internal\/url|querystring|internal\/querystring|events|internal\/timers|timers|internal\/process)/.test(
      area,
    )
  );
}

/**
 * Main-thread time of a profile by part of the work: each sample goes to the nearest frame, from the
 * leaf up, that belongs to a specific part (rendering, database, signing, password, logging); with none
 * on the stack, to HTTP if Fastify or node:http is on it, else to the first Gatehouse file, else by leaf.
 */
export function profileByCategory(
  path: string,
  window?: SampleWindow,
): { busyMicros: number; byCategory: Map<Category, number>; otherGatehouse: Map<string, number> } {
  const profile = JSON.parse(readFileSync(path, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const memo = new Map<number, { category: Category; file?: string }>();
  const classify = (leafId: number): { category: Category; file?: string } => {
    const known = memo.get(leafId);
    if (known) return known;
    const leaf = byId.get(leafId)!.callFrame;
    // Without a specific part on the stack: whichever of HTTP code or a Gatehouse file is nearest the leaf.
    let nearest: { category: Category; file?: string } | undefined;
    let found: { category: Category; file?: string } | undefined;
    for (let id: number | undefined = leafId; id !== undefined; id = parent.get(id)) {
      const area = areaOf(byId.get(id)!.callFrame);
      const specific = specificCategory(area);
      if (specific) {
        found = { category: specific };
        break;
      }
      if (!nearest && isHttp(area)) nearest = { category: 'HTTP (Fastify, node:http, sockets, cookies, form parsing)' };
      if (!nearest && area.startsWith('gatehouse '))
        nearest = { category: 'other Gatehouse code', file: area.slice('gatehouse '.length) };
    }
    found ??=
      nearest ??
      (leaf.functionName === '(garbage collector)'
        ? { category: 'garbage collection' }
        : leaf.functionName === '(program)'
          ? { category: '(program): V8 and native code outside JavaScript' }
          : { category: 'other' });
    memo.set(leafId, found);
    return found;
  };
  const byCategory = new Map<Category, number>();
  const otherGatehouse = new Map<string, number>();
  let busy = 0;
  forEachSample(profile, window, (id, micros) => {
    if (byId.get(id)!.callFrame.functionName === '(idle)') return;
    busy += micros;
    const { category, file } = classify(id);
    byCategory.set(category, (byCategory.get(category) ?? 0) + micros);
    if (file) otherGatehouse.set(file, (otherGatehouse.get(file) ?? 0) + micros);
  });
  return { busyMicros: busy, byCategory, otherGatehouse };
}

export async function profileGatehouse(setup: {
  options: BenchOptions;
  workload: Workload;
  dir: string;
  logDir: string;
  gatehouseRoot: string;
  profileDir: string;
}): Promise<void> {
  const { options, workload, profileDir } = setup;
  const shape = { connections: options.connections, threads: options.wrkThreads };
  mkdirSync(profileDir, { recursive: true });
  for (const old of readdirSync(profileDir).filter((f) => f.endsWith('.cpuprofile'))) rmSync(join(profileDir, old));

  const gatehouse = await setUpGatehouse({
    root: setup.gatehouseRoot,
    dir: setup.dir,
    logDir: setup.logDir,
    workers: options.workers,
    workload,
  });
  await (await gatehouse.start()).stop(); // create the database: the profiles then hold a start on an existing one
  const nodeArgs = ['--cpu-prof', `--cpu-prof-dir=${profileDir}`];
  const server = await gatehouse.start(nodeArgs);
  await checkTokenResponse(gatehouse.target, 'RS256', workload);
  console.log(
    `Gatehouse started with node ${nodeArgs.join(' ')} (${server.processes().length} processes). Warming up ${options.warmup} s…`,
  );
  await warmUp(gatehouse.target, 'RS256', workload, options.warmup, shape);
  const run = await measureRun(1, gatehouse.target, server, 'RS256', workload, options.duration, shape);
  console.log(
    run.ok
      ? `RS256 under the profiler: ${run.requests_per_s!.toFixed(0)} req/s, p99 ${run.p99_ms!.toFixed(1)} ms, ${run.cpu_us_per_token!.toFixed(0)} µs CPU/token (the profiler costs CPU too)`
      : `RS256 run FAILED: ${run.failure}`,
  );
  await server.stop(); // a clean exit writes the profiles
  const profiles = readdirSync(profileDir)
    .filter((f) => f.endsWith('.cpuprofile'))
    .map((f) => join(profileDir, f));
  if (!profiles.length)
    throw new Error(
      `No profile was written to ${profileDir}: did Gatehouse exit cleanly on SIGTERM? Log: ${server.logTail()}`,
    );
  console.log(
    `\n${profiles.length} profile(s) in ${profileDir} (open them in Chrome DevTools → Performance, or VS Code):\n`,
  );
  for (const path of profiles) console.log(`${readProfile(path)}\n`);
}
