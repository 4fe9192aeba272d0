// The slow-loris benchmark (`--slowloris-only`, and last in a full run): GET /healthz from a few keep-alive
// clients for BENCH_SLOWLORIS_SECONDS, first alone, then with BENCH_SLOWLORIS_CONNECTIONS connections open
// that each send one header line per second and never finish their request. Both phases run in the same
// process against the same server, so the ratio between them is the figure to read (docs/benchmarks.md).
import { Agent, request } from 'node:http';
import { connect, type Socket } from 'node:net';
import { setUpGatehouse } from './gatehouse.js';
import type { Workload } from './workload.js';

export interface SlowlorisPhase {
  requests_per_s: number;
  p50_ms: number;
  p99_ms: number;
  errors: number;
}

export interface SlowlorisResults {
  seconds: number;
  slow_connections: number;
  /** Slow connections still open at the end of the loaded phase (the server closes them at its headers timeout). */
  slow_still_open: number;
  alone: SlowlorisPhase;
  with_slowloris: SlowlorisPhase;
  /** with_slowloris / alone */
  throughput_ratio: number;
  p99_ratio: number;
}

const CLIENTS = 8;

async function measure(url: string, seconds: number): Promise<SlowlorisPhase> {
  const agent = new Agent({ keepAlive: true, maxSockets: CLIENTS });
  const latencies: number[] = [];
  let errors = 0;
  const end = Date.now() + seconds * 1000;
  const one = () =>
    new Promise<void>((resolve) => {
      const started = performance.now();
      const req = request(url, { agent, timeout: 5000 }, (res) => {
        res.resume().on('end', () => {
          if (res.statusCode === 200) latencies.push(performance.now() - started);
          else errors++;
          resolve();
        });
      });
      req.on('timeout', () => req.destroy(new Error('timeout')));
      req.on('error', () => {
        errors++;
        resolve();
      });
      req.end();
    });
  await Promise.all(
    Array.from({ length: CLIENTS }, async () => {
      while (Date.now() < end) await one();
    }),
  );
  agent.destroy();
  latencies.sort((a, b) => a - b);
  const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? NaN;
  return { requests_per_s: latencies.length / seconds, p50_ms: at(0.5), p99_ms: at(0.99), errors };
}

function openSlowConnections(port: number, count: number): { sockets: Socket[]; stop(): void } {
  const sockets = Array.from({ length: count }, () => {
    const socket = connect(port, '127.0.0.1');
    socket.on('error', () => {});
    socket.write(`GET /healthz HTTP/1.1\r\nhost: 127.0.0.1:${port}\r\n`);
    return socket;
  });
  let n = 0;
  const timer = setInterval(() => {
    for (const socket of sockets) if (!socket.destroyed) socket.write(`x-slow-${n++}: 1\r\n`);
  }, 1000);
  const stop = () => {
    clearInterval(timer);
    for (const socket of sockets) socket.destroy();
  };
  return { sockets, stop };
}

export async function slowlorisBenchmark(setup: {
  workload: Workload;
  dir: string;
  logDir: string;
  gatehouseRoot: string;
  workers: number;
}): Promise<SlowlorisResults> {
  const seconds = Number(process.env.BENCH_SLOWLORIS_SECONDS || 5);
  const count = Number(process.env.BENCH_SLOWLORIS_CONNECTIONS || 200);
  const gatehouse = await setUpGatehouse({
    root: setup.gatehouseRoot,
    dir: setup.dir,
    logDir: setup.logDir,
    workers: setup.workers,
    workload: setup.workload,
    name: 'gatehouse-slowloris',
  });
  const server = await gatehouse.start();
  try {
    const url = `${gatehouse.issuer}healthz`;
    await measure(url, 1); // warm-up
    const alone = await measure(url, seconds);
    const slow = openSlowConnections(Number(new URL(gatehouse.issuer).port), count);
    try {
      await new Promise((resolve) => setTimeout(resolve, 1000));
      const withSlowloris = await measure(url, seconds);
      const stillOpen = slow.sockets.filter((socket) => !socket.destroyed && !socket.readableEnded).length;
      return {
        seconds,
        slow_connections: count,
        slow_still_open: stillOpen,
        alone,
        with_slowloris: withSlowloris,
        throughput_ratio: withSlowloris.requests_per_s / alone.requests_per_s,
        p99_ratio: withSlowloris.p99_ms / alone.p99_ms,
      };
    } finally {
      slow.stop();
    }
  } finally {
    await server.stop();
  }
}

export function formatSlowlorisReport(r: SlowlorisResults): string {
  const row = (name: string, p: SlowlorisPhase) =>
    `${name.padEnd(34)} ${p.requests_per_s.toFixed(0).padStart(7)} req/s  p50 ${p.p50_ms.toFixed(2)} ms  p99 ${p.p99_ms.toFixed(2)} ms  errors ${p.errors}`;
  return [
    `Slow-loris: GET /healthz from ${CLIENTS} keep-alive clients, ${r.seconds} s per phase`,
    row('alone', r.alone),
    row(`with ${r.slow_connections} slow-loris connections`, r.with_slowloris),
    `ratio (with / alone): throughput ${r.throughput_ratio.toFixed(2)}, p99 ${r.p99_ratio.toFixed(2)}; slow connections still open at the end: ${r.slow_still_open}`,
  ].join('\n');
}
