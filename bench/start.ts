// `npm run bench -- --start`: how long `gatehouse start --test` takes from spawn to its first /healthz 200 (a
// fresh temporary SQLite database each time: migrations, signing keys, the development tenant), the median of
// BENCH_START_ROUNDS runs (default 10). The start a CI job waits for before its tests (docs/testing-your-app.md).
// `--start --https`: `gatehouse start --test --https`, its local CA made by the first run in a temporary folder and
// reused by the others, as a CI job's ./data would be on a second start (the first run's time is printed too).
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { get } from 'node:https';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadAverage } from './machine.js';

const cli = fileURLToPath(new URL('../src/cli/index.js', import.meta.url));

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** /healthz over https, trusting the CA in `tlsDir` once it exists; 0 until it answers. */
function httpsStatus(port: number, tlsDir: string): Promise<number> {
  const caPath = join(tlsDir, 'gatehouse-ca.pem');
  if (!existsSync(caPath)) return Promise.resolve(0);
  return new Promise((resolve) => {
    get(`https://localhost:${port}/healthz`, { ca: readFileSync(caPath) }, (response) => {
      response.resume();
      resolve(response.statusCode ?? 0);
    }).once('error', () => resolve(0));
  });
}

/** One start, from spawn to the first /healthz 200; over https with its CA in `tlsDir` when given. */
async function once(tlsDir?: string): Promise<number> {
  const port = await freePort();
  const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('GATEHOUSE_')));
  const args = [cli, 'start', '--test', '--port', String(port), '--log-level', 'warn'];
  if (tlsDir) args.push('--https', '--tls-dir', tlsDir);
  const started = performance.now();
  const child = spawn(process.execPath, args, { env, stdio: 'ignore' });
  const exited = new Promise((resolve) => child.on('exit', resolve));
  try {
    for (;;) {
      const status = tlsDir
        ? await httpsStatus(port, tlsDir)
        : await fetch(`http://127.0.0.1:${port}/healthz`).then(
            (r) => r.status,
            () => 0,
          );
      if (status === 200) return performance.now() - started;
      if (child.exitCode !== null) throw new Error(`gatehouse start --test exited with ${child.exitCode}`);
      if (performance.now() - started > 60_000) throw new Error('gatehouse start --test not healthy within 60 s');
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  } finally {
    child.kill('SIGTERM');
    await exited;
  }
}

export async function startBenchmark(
  https = false,
  rounds = Number(process.env.BENCH_START_ROUNDS ?? 10),
): Promise<void> {
  const load = loadAverage();
  const tlsDir = https ? mkdtempSync(join(tmpdir(), 'gatehouse-bench-tls-')) : undefined;
  const times: number[] = [];
  try {
    for (let i = 0; i < rounds; i++) times.push(await once(tlsDir));
  } finally {
    if (tlsDir) rmSync(tlsDir, { recursive: true, force: true });
  }
  const first = times[0];
  times.sort((a, b) => a - b);
  const median = times[Math.floor(times.length / 2)];
  console.log(
    `gatehouse start --test${https ? ' --https' : ''}, spawn to first /healthz 200, ${rounds} runs: ` +
      `median ${Math.round(median)} ms, min ${Math.round(times[0])} ms, max ${Math.round(times[times.length - 1])} ms` +
      `${https ? `, first (makes the CA) ${Math.round(first)} ms` : ''} (load average at start ${load})`,
  );
}
