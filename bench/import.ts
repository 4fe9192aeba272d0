// `npm run bench -- --import`: `gatehouse users import` of a generated NDJSON file of BENCH_IMPORT_USERS users
// (default 1,000,000) into a fresh database (SQLite in a temporary directory, or BENCH_IMPORT_DATABASE_URL),
// timed from spawn to exit, with the CLI's peak resident memory (VmHWM, read from /proc while it runs). Every row
// carries the same bcrypt hash (bcrypt is slow to make, and the import does not verify hashes: a sign-in does).
// The database's connection is made by one `gatehouse start` with a tenant file first. docs/benchmarks.md.
import { spawn } from 'node:child_process';
import { createWriteStream, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import bcrypt from 'bcryptjs';
import { loadAverage } from './machine.js';

const cli = fileURLToPath(new URL('../src/cli/index.js', import.meta.url));
const CONNECTION = 'Username-Password-Authentication';
const SECRET = 'bench-import-master-secret-0123456789-abcdefgh';

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

const cleanEnv = (env: Record<string, string>) => ({
  ...Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('GATEHOUSE_'))),
  ...env,
});

/** One start with the tenant file: migrations, keys and the database connection. */
async function prepareDatabase(databaseUrl: string, dir: string): Promise<void> {
  const tenantFile = join(dir, 'tenant.json');
  writeFileSync(
    tenantFile,
    JSON.stringify({
      tenant: { friendly_name: 'Bench' },
      connections: [{ name: CONNECTION, strategy: 'auth0', enabled_clients: [] }],
    }),
  );
  const port = await freePort();
  const env = cleanEnv({
    GATEHOUSE_DATABASE_URL: databaseUrl,
    GATEHOUSE_SECRET: SECRET,
    GATEHOUSE_BOOTSTRAP: tenantFile,
  });
  const child = spawn(
    process.execPath,
    [cli, 'start', '--port', String(port), '--workers', '1', '--log-level', 'warn'],
    {
      env,
      stdio: 'inherit',
    },
  );
  const exited = once(child, 'exit');
  try {
    const started = Date.now();
    for (;;) {
      const status = await fetch(`http://127.0.0.1:${port}/healthz`).then(
        (r) => r.status,
        () => 0,
      );
      if (status === 200) return;
      if (child.exitCode !== null) throw new Error(`gatehouse start exited with ${child.exitCode}`);
      if (Date.now() - started > 120_000) throw new Error('gatehouse start not healthy within 120 s');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  } finally {
    child.kill('SIGTERM');
    await exited;
  }
}

async function writeUsers(path: string, count: number): Promise<void> {
  const hash = bcrypt.hashSync('Bench-password-1', 10);
  const out = createWriteStream(path);
  for (let i = 0; i < count; i++) {
    const line = `${JSON.stringify({
      user_id: `bench${i}`,
      email: `user${i}@bench.test`,
      email_verified: true,
      given_name: 'Bench',
      family_name: `User ${i}`,
      password_hash: hash,
      user_metadata: { plan: i % 3 === 0 ? 'pro' : 'free' },
    })}\n`;
    if (!out.write(line)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
}

/** Peak resident set size so far (VmHWM), MiB; undefined once the process is gone. */
function peakMiB(pid: number): number | undefined {
  try {
    const match = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) / 1024 : undefined;
  } catch {
    return undefined;
  }
}

export async function importBenchmark(): Promise<void> {
  const count = Number(process.env.BENCH_IMPORT_USERS ?? 1_000_000);
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-bench-import-'));
  try {
    const databaseUrl = process.env.BENCH_IMPORT_DATABASE_URL || `sqlite:${join(dir, 'gatehouse.db')}`;
    await prepareDatabase(databaseUrl, dir);
    const file = join(dir, 'users.ndjson');
    const made = performance.now();
    await writeUsers(file, count);
    const size = statSync(file).size;
    console.log(
      `Generated ${count.toLocaleString('en-US')} users (${(size / 1e6).toFixed(0)} MB) in ${((performance.now() - made) / 1000).toFixed(1)} s`,
    );
    const load = loadAverage();
    const started = performance.now();
    const child = spawn(process.execPath, [cli, 'users', 'import', file, '--connection', CONNECTION], {
      env: cleanEnv({ GATEHOUSE_DATABASE_URL: databaseUrl, GATEHOUSE_SECRET: SECRET }),
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let peak = 0;
    const sampler = setInterval(() => {
      peak = Math.max(peak, peakMiB(child.pid!) ?? 0);
    }, 100);
    let stdout = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout = (stdout + chunk).slice(-4096);
    });
    const [code] = (await once(child, 'exit')) as [number | null];
    clearInterval(sampler);
    const seconds = (performance.now() - started) / 1000;
    if (code !== 0) throw new Error(`gatehouse users import exited with ${code}: ${stdout}`);
    const summary = stdout.trim().split('\n').at(-1);
    console.log(
      `gatehouse users import, ${count.toLocaleString('en-US')} users (NDJSON, bcrypt hashes) into ${databaseUrl.split(':')[0]}: ` +
        `${seconds.toFixed(1)} s (${Math.round(count / seconds).toLocaleString('en-US')} users/s), peak RSS ${peak.toFixed(0)} MiB ` +
        `(load average at start ${load})\n${summary}`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
