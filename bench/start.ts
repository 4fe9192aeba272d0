// `npm run bench -- --start`: how long `gatehouse start --test` takes from spawn to its first /healthz 200 (a
// fresh temporary SQLite database each time: migrations, signing keys, the development tenant), the median of
// BENCH_START_ROUNDS runs (default 10). The start a CI job waits for before its tests (docs/testing-your-app.md).
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
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

async function once(): Promise<number> {
  const port = await freePort();
  const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('GATEHOUSE_')));
  const started = performance.now();
  const child = spawn(process.execPath, [cli, 'start', '--test', '--port', String(port), '--log-level', 'warn'], {
    env,
    stdio: 'ignore',
  });
  const exited = new Promise((resolve) => child.on('exit', resolve));
  try {
    for (;;) {
      const status = await fetch(`http://127.0.0.1:${port}/healthz`).then(
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

export async function startBenchmark(rounds = Number(process.env.BENCH_START_ROUNDS ?? 10)): Promise<void> {
  const load = loadAverage();
  const times: number[] = [];
  for (let i = 0; i < rounds; i++) times.push(await once());
  times.sort((a, b) => a - b);
  const median = times[Math.floor(times.length / 2)];
  console.log(
    `gatehouse start --test, spawn to first /healthz 200, ${rounds} runs: median ${Math.round(median)} ms, ` +
      `min ${Math.round(times[0])} ms, max ${Math.round(times[times.length - 1])} ms (load average at start ${load})`,
  );
}
