// What argon2id verification alone allows on this machine, with Gatehouse's parameters: one process per
// server worker (GATEHOUSE_WORKERS), each keeping verifications in flight on its libuv thread pool, once
// with one in flight per process, with the server's own share of the cores (cores ÷ processes) and with
// as many as the thread pool runs (UV_THREADPOOL_SIZE, default 4). The best is the ceiling: at 19 MiB apiece, more verifications at once than
// cores evict each other from the caches, so fewer at once verify more per second. No server can
// complete more password logins per second than this.
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Argon2Job, Argon2Report } from './argon2-worker.js';
import { threadPoolSize } from './options.js';
import { stopProcess, track } from './processes.js';

const worker = fileURLToPath(new URL('./argon2-worker.js', import.meta.url));

export interface Argon2Ceiling {
  processes: number;
  in_flight: number;
  verifications_per_s: number;
  /** CPU ms one verification costs, as the verifying processes measured it (all their threads). */
  cpu_ms_per_verification: number;
  /** CPU the processes got ÷ (cores × seconds): below 1 when something else took CPU meanwhile. */
  core_share: number;
  /** Gatehouse's argon2Options. */
  options: Record<string, number>;
  /** Every concurrency measured, the best of which is this ceiling. */
  tried: { in_flight: number; verifications_per_s: number; cpu_ms_per_verification: number }[];
}

export async function measureArgon2(
  gatehouseRoot: string,
  processes: number,
  cores: number,
  seconds: number,
): Promise<Argon2Ceiling> {
  const tried: Omit<Argon2Ceiling, 'tried'>[] = [];
  // 1, the server's own share (cores ÷ processes: src/crypto/passwords.ts), and a whole thread pool.
  const candidates = new Set([1, Math.max(1, Math.floor(cores / processes)), threadPoolSize()]);
  for (const inFlight of candidates) tried.push(await measureAt(gatehouseRoot, processes, cores, seconds, inFlight));
  const best = tried.reduce((a, b) => (b.verifications_per_s > a.verifications_per_s ? b : a));
  return {
    ...best,
    tried: tried.map(({ in_flight, verifications_per_s, cpu_ms_per_verification }) => ({
      in_flight,
      verifications_per_s,
      cpu_ms_per_verification,
    })),
  };
}

async function measureAt(
  gatehouseRoot: string,
  processes: number,
  cores: number,
  seconds: number,
  inFlight: number,
): Promise<Omit<Argon2Ceiling, 'tried'>> {
  const children = Array.from({ length: processes }, () =>
    track(fork(worker, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })),
  );
  try {
    await Promise.all(children.map((child) => new Promise((resolve) => child.once('message', resolve))));
    const job: Argon2Job = { gatehouseRoot, warmupMs: 500, measureMs: seconds * 1000, inFlight };
    const reports = await Promise.all(
      children.map((child) => {
        const report = new Promise<Argon2Report>((resolve, reject) => {
          child.once('message', (message) => resolve(message as Argon2Report));
          child.once('exit', (code) => reject(new Error(`argon2 worker exited with ${code} before reporting`)));
        });
        child.send(job);
        return report;
      }),
    );
    const sum = (pick: (r: Argon2Report) => number) => reports.reduce((total, r) => total + pick(r), 0);
    return {
      processes,
      in_flight: processes * inFlight,
      verifications_per_s: sum((r) => r.verifications / r.seconds),
      cpu_ms_per_verification: sum((r) => r.cpu_us) / 1000 / sum((r) => r.verifications),
      core_share: sum((r) => r.cpu_us / 1e6 / r.seconds) / cores,
      options: reports[0].options,
    };
  } finally {
    await Promise.all(children.map((child) => stopProcess(child)));
  }
}
