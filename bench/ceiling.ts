// The signing ceiling of this machine: how many signatures per second node:crypto makes on all cores,
// one process per core, each with one thread-pool thread (UV_THREADPOOL_SIZE=1: one signing thread per
// core, none waiting for a core). No token server can issue more tokens per second than this, and the
// CPU one signature costs is the part of a server's CPU per token that no server code can save.
import { fork } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import type { CeilingJob, CeilingReport } from './ceiling-worker.js';
import { stopProcess, track } from './processes.js';
import type { Alg } from './workload.js';

const worker = fileURLToPath(new URL('./ceiling-worker.js', import.meta.url));

export interface Ceiling {
  alg: Alg;
  signatures_per_s: number;
  /** CPU µs one signature costs, as the signing processes measured it. */
  cpu_us_per_signature: number;
  /**
   * 1e6 × cores / signatures_per_s: the same figure if the benchmark had every core to itself. Above
   * cpu_us_per_signature when something else on the machine took CPU during the measurement.
   */
  cpu_us_per_signature_from_rate: number;
  /** CPU the signing processes got ÷ (cores × seconds): below 1 when the machine was shared. */
  core_share: number;
}

const privateKeys: Record<Alg, string> = {
  RS256: generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({
    format: 'pem',
    type: 'pkcs8',
  }) as string,
  ES256: generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({
    format: 'pem',
    type: 'pkcs8',
  }) as string,
};

export async function measureCeiling(alg: Alg, cores: number, seconds: number): Promise<Ceiling> {
  const env = { ...process.env, UV_THREADPOOL_SIZE: '1' };
  const children = Array.from({ length: cores }, () =>
    track(fork(worker, [], { env, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })),
  );
  try {
    await Promise.all(children.map((child) => new Promise((resolve) => child.once('message', resolve))));
    const job: CeilingJob = {
      alg,
      privateKeyPem: privateKeys[alg],
      warmupMs: 500,
      measureMs: seconds * 1000,
      inFlight: 4,
    };
    const reports = await Promise.all(
      children.map((child) => {
        const report = new Promise<CeilingReport>((resolve, reject) => {
          child.once('message', (message) => resolve(message as CeilingReport));
          child.once('exit', (code) => reject(new Error(`ceiling worker exited with ${code} before reporting`)));
        });
        child.send(job);
        return report;
      }),
    );
    const sum = (pick: (r: CeilingReport) => number) => reports.reduce((total, r) => total + pick(r), 0);
    const signaturesPerSecond = sum((r) => r.signatures / r.seconds);
    return {
      alg,
      signatures_per_s: signaturesPerSecond,
      cpu_us_per_signature: sum((r) => r.cpu_us) / sum((r) => r.signatures),
      cpu_us_per_signature_from_rate: (1e6 * cores) / signaturesPerSecond,
      core_share: sum((r) => r.cpu_us / 1e6 / r.seconds) / cores,
    };
  } finally {
    await Promise.all(children.map((child) => stopProcess(child)));
  }
}
