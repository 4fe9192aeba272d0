// One process of the signing ceiling (bench/ceiling.ts): signs a JWT signing input with node:crypto's
// asynchronous sign (the libuv thread pool, as a server does), several signatures in flight, and reports
// how many completed in the measured window after a warm-up.
import { createPrivateKey, sign, type SignKeyObjectInput } from 'node:crypto';
import { performance } from 'node:perf_hooks';

export interface CeilingJob {
  alg: 'RS256' | 'ES256';
  privateKeyPem: string;
  warmupMs: number;
  measureMs: number;
  inFlight: number;
}

export interface CeilingReport {
  signatures: number;
  seconds: number;
  /** CPU time this process used in the window (all its threads), µs. */
  cpu_us: number;
}

// The size of a typical access token's header and payload.
const signingInput = Buffer.from(
  'eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCIsImtpZCI6ImJlbmNoLWtleS0wMDAxIn0.' +
    Buffer.from(
      JSON.stringify({
        iss: 'http://127.0.0.1:3000/',
        sub: 'bench-m2m@clients',
        aud: 'https://rs256.bench.test/',
        iat: 1700000000,
        exp: 1700086400,
        jti: '6f1c2d3e-4b5a-4c6d-8e7f-8091a2b3c4d5',
        scope: 'read:items',
        azp: 'bench-m2m',
        gty: 'client-credentials',
      }),
    ).toString('base64url'),
);

function run(job: CeilingJob) {
  const key = createPrivateKey(job.privateKeyPem);
  const signKey: SignKeyObjectInput = job.alg === 'ES256' ? { key, dsaEncoding: 'ieee-p1363' } : { key };
  const measureFrom = performance.now() + job.warmupMs;
  const measureUntil = measureFrom + job.measureMs;
  let completed = 0;
  let startedAt: number | undefined;
  let completedAtStart = 0;
  let cpuAtStart: NodeJS.CpuUsage | undefined;
  let reported = false;

  const signOne = () =>
    sign('sha256', signingInput, signKey, (error) => {
      if (error) throw error;
      completed++;
      const now = performance.now();
      if (startedAt === undefined && now >= measureFrom) {
        startedAt = now;
        completedAtStart = completed;
        cpuAtStart = process.cpuUsage();
      }
      if (now < measureUntil) return signOne();
      if (reported) return;
      reported = true;
      const cpu = process.cpuUsage(cpuAtStart);
      const report: CeilingReport = {
        signatures: completed - completedAtStart,
        seconds: (now - startedAt!) / 1000,
        cpu_us: cpu.user + cpu.system,
      };
      process.send!(report, () => process.exit(0));
    });
  for (let i = 0; i < job.inFlight; i++) signOne();
}

process.once('message', (job: CeilingJob) => run(job));
process.send!('ready');
