// Runs wrk with bench/post.lua against a token endpoint and returns what its done() printed.
import { spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { track } from './processes.js';

const script = fileURLToPath(new URL('../../bench/post.lua', import.meta.url));

export interface WrkLoad {
  url: string;
  /** Form-encoded body. */
  body: string;
  authorization: string;
  seconds: number;
  connections: number;
  threads: number;
}

export interface WrkResult {
  requests: number;
  duration_s: number;
  requests_per_s: number;
  latency_us: { p50: number; p90: number; p99: number; max: number; mean: number };
  /** wrk's counters; `status` counts responses with a status of 400 or more. */
  errors: { connect: number; read: number; write: number; status: number; timeout: number };
}

/** The benchmark installs nothing: without wrk it says how to get it and stops. */
export function ensureWrk(): void {
  if (spawnSync('sh', ['-c', 'command -v wrk'], { stdio: 'ignore' }).status !== 0) {
    process.stderr.write('bench: wrk is not installed. Install it with:\n  apt-get install -y wrk\n');
    process.exit(1);
  }
}

export function errorCount(result: WrkResult): number {
  const e = result.errors;
  return e.connect + e.read + e.write + e.status + e.timeout;
}

export function runWrk(load: WrkLoad): Promise<WrkResult> {
  const args = [
    '-t',
    String(load.threads),
    '-c',
    String(load.connections),
    '-d',
    `${load.seconds}s`,
    '--timeout',
    '2s',
    '-s',
    script,
    load.url,
  ];
  const wrk = track(
    spawn('wrk', args, {
      env: { ...process.env, BENCH_BODY: load.body, BENCH_AUTHORIZATION: load.authorization },
      stdio: ['ignore', 'pipe', 'pipe'],
    }),
  );
  let output = '';
  wrk.stdout!.on('data', (chunk) => (output += chunk));
  wrk.stderr!.on('data', (chunk) => (output += chunk));
  return new Promise((resolve, reject) => {
    wrk.on('error', reject);
    wrk.on('close', (code, signal) => {
      const line = output.split('\n').find((l) => l.startsWith('BENCH_RESULT '));
      if (code !== 0 || !line) {
        reject(new Error(`wrk ${args.join(' ')} exited with ${signal ?? code}:\n${output}`));
        return;
      }
      resolve(JSON.parse(line.slice('BENCH_RESULT '.length)) as WrkResult);
    });
  });
}
