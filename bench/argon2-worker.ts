// One process of the argon2id measurement (bench/argon2.ts): hashes one password with Gatehouse's own
// argon2Options (imported from the build being measured), then keeps `inFlight` verifications of it
// running through @node-rs/argon2's asynchronous verify (the libuv thread pool, as the server does) and
// reports how many completed in the measured window after a warm-up.
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';

export interface Argon2Job {
  /** The folder holding the Gatehouse build (dist/src/crypto/passwords.js) and its node_modules. */
  gatehouseRoot: string;
  warmupMs: number;
  measureMs: number;
  inFlight: number;
}

export interface Argon2Report {
  verifications: number;
  seconds: number;
  /** CPU time this process used in the window (all its threads), µs. */
  cpu_us: number;
  /** The parameters used, as Gatehouse exports them. */
  options: Record<string, number>;
}

interface Argon2Module {
  hash(password: string, options: object): Promise<string>;
  verify(hash: string, password: string, options?: object): Promise<boolean>;
}

async function run(job: Argon2Job): Promise<Argon2Report> {
  const passwords = (await import(pathToFileURL(join(job.gatehouseRoot, 'dist/src/crypto/passwords.js')).href)) as {
    argon2Options: Record<string, number>;
  };
  // The same @node-rs/argon2 the server loads, resolved from the Gatehouse folder.
  const argon2 = createRequire(join(job.gatehouseRoot, 'package.json'))('@node-rs/argon2') as Argon2Module;
  const password = 'Bench-correct horse battery staple';
  const hash = await argon2.hash(password, passwords.argon2Options);

  const measureFrom = performance.now() + job.warmupMs;
  const measureUntil = measureFrom + job.measureMs;
  let completed = 0;
  let startedAt: number | undefined;
  let completedAtStart = 0;
  let cpuAtStart: NodeJS.CpuUsage | undefined;

  return new Promise((resolve, reject) => {
    let reported = false;
    const verifyOne = (): void => {
      argon2
        .verify(hash, password)
        .then((ok) => {
          if (!ok) throw new Error('argon2 verify answered false for the right password');
          completed++;
          const now = performance.now();
          if (startedAt === undefined && now >= measureFrom) {
            startedAt = now;
            completedAtStart = completed;
            cpuAtStart = process.cpuUsage();
          }
          if (now < measureUntil) return verifyOne();
          if (reported) return;
          reported = true;
          const cpu = process.cpuUsage(cpuAtStart);
          resolve({
            verifications: completed - completedAtStart,
            seconds: (now - startedAt!) / 1000,
            cpu_us: cpu.user + cpu.system,
            options: passwords.argon2Options,
          });
        })
        .catch(reject);
    };
    for (let i = 0; i < job.inFlight; i++) verifyOne();
  });
}

process.once('message', (job: Argon2Job) => {
  run(job).then(
    (report) => process.send!(report, () => process.exit(0)),
    (error: unknown) => {
      process.stderr.write(`argon2 worker: ${(error as Error).stack ?? String(error)}\n`);
      process.exit(1);
    },
  );
});
process.send!('ready');
