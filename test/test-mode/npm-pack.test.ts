// The package as a user gets it: `npm pack`, the tarball unpacked into an empty project as `npm install` lays it
// out (node_modules/gatehouse, its `bin` linked into node_modules/.bin), then `npx gatehouse start --test` run
// there answers /healthz, over http and with --https. Offline: the tarball's runtime dependencies are linked
// from this checkout's node_modules instead of fetched (only those in package.json's `dependencies`, so a
// missing one fails here).
// The test run built dist/ already, so the pack skips the `prepare` build (--ignore-scripts); a plain `npm pack`
// runs it first.
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import {
  chmodSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  existsSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { get } from 'node:https';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { after, test } from 'node:test';
import { promisify } from 'node:util';
import { cliEnv, repoRoot, waitFor } from '../helpers/cli.js';
import { freePort } from '../helpers/server.js';

const run = promisify(execFile);
/** The temporary database folder test mode makes (config.ts). */
const OURS = /^gatehouse-test-\d+-[0-9a-f]{12}$/;
const work = mkdtempSync(join(tmpdir(), 'gatehouse-pack-'));
after(() => rmSync(work, { recursive: true, force: true }));

/** The unpacked package in an empty project, as `npm install` would lay it out; made once, by the first test. */
let project: string | undefined;

async function install(): Promise<string> {
  if (project) return project;
  const { stdout } = await run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', work], {
    cwd: repoRoot,
    maxBuffer: 16 * 1024 * 1024,
  });
  const [packed] = JSON.parse(stdout) as { filename: string; files: { path: string }[] }[];
  const paths = packed.files.map((f) => f.path);
  for (const needed of [
    'dist/src/cli/index.js',
    'dist/src/store/migrations/0021-test-outbox.js',
    'src/login/templates/page.liquid',
    // What --https runs: the local CA and certificates, and the TLS server options.
    'dist/src/crypto/local-tls.js',
    'dist/src/http/tls.js',
  ])
    assert.ok(paths.includes(needed), `${needed} is in the package`);
  assert.ok(!paths.some((p) => p.startsWith('dist/test/') || p.startsWith('dist/bench/') || p.endsWith('.ts')));

  const dir = join(work, 'app');
  const installed = join(dir, 'node_modules', 'gatehouse');
  mkdirSync(installed, { recursive: true });
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'app', private: true }));
  await run('tar', ['-xzf', join(work, packed.filename), '-C', installed, '--strip-components=1']);
  const manifest = JSON.parse(readFileSync(join(installed, 'package.json'), 'utf8'));
  // @peculiar/x509 and reflect-metadata (the certificates of --https) among them: a missing one fails the start.
  for (const name of Object.keys(manifest.dependencies)) {
    mkdirSync(join(dir, 'node_modules', name, '..'), { recursive: true });
    symlinkSync(join(repoRoot, 'node_modules', name), join(dir, 'node_modules', name));
  }
  mkdirSync(join(dir, 'node_modules', '.bin'));
  const bin = join(installed, manifest.bin.gatehouse);
  chmodSync(bin, 0o755);
  symlinkSync(bin, join(dir, 'node_modules', '.bin', 'gatehouse'));
  project = dir;
  return dir;
}

/** `npx gatehouse start --test …` in the project, until `use` returns; then SIGTERM and the exit. */
async function withNpxStart(args: string[], use: (port: number, output: () => string) => Promise<void>): Promise<void> {
  const cwd = await install();
  const port = await freePort();
  const child = spawn('npx', ['--offline', 'gatehouse', 'start', '--test', '--port', String(port), ...args], {
    cwd,
    env: cliEnv({ GATEHOUSE_LOG_LEVEL: 'warn' }),
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let out = '';
  child.stdout.on('data', (chunk) => (out += chunk));
  child.stderr.on('data', (chunk) => (out += chunk));
  const exited = new Promise((resolve) => child.on('exit', resolve));
  try {
    await use(port, () => out);
  } finally {
    process.kill(-child.pid!, 'SIGTERM');
    await exited;
  }
}

/** GET over https trusting only `ca`: Node's https with `ca:`, as a tool told the printed CA file would. */
function httpsStatus(url: string, ca: string): Promise<number | undefined> {
  return new Promise((resolve) => {
    get(url, { ca }, (response) => {
      response.resume();
      resolve(response.statusCode);
    }).once('error', () => resolve(undefined));
  });
}

test('npm pack, installed into an empty project: npx gatehouse start --test answers /healthz, and its temporary database is gone after', async () => {
  let temporary = '';
  await withNpxStart([], async (port, out) => {
    await waitFor(
      '/healthz 200',
      async () => (await fetch(`http://127.0.0.1:${port}/healthz`).catch(() => undefined))?.status === 200,
      60_000,
    );
    await waitFor('the banner', () => out().includes('TEST MODE'));
    assert.match(out(), /NEVER LET IT FACE USERS/);
    assert.equal((await fetch(`http://127.0.0.1:${port}/test/clock`)).status, 200);
    temporary = out().match(/a temporary SQLite file in (\S+), deleted at exit/)![1];
    assert.ok(OURS.test(basename(temporary)) && existsSync(temporary), temporary);
  });
  // npx may exit before the server it started has finished removing the folder.
  await waitFor('the temporary database folder removed at exit', () => !existsSync(temporary));
});

test("npx gatehouse start --test --https in that project: its CA in the project's ./data, /healthz over https trusting it", async () => {
  await withNpxStart(['--https'], async (port, out) => {
    const caPath = await waitFor(
      'the trust line',
      () => out().match(/^ {2}Node: +NODE_EXTRA_CA_CERTS=(\S+)$/m)?.[1],
      60_000,
    );
    assert.equal(caPath, join(project!, 'data', 'gatehouse-ca.pem'));
    const ca = readFileSync(caPath, 'utf8');
    await waitFor(
      '/healthz 200 over https',
      async () => (await httpsStatus(`https://localhost:${port}/healthz`, ca)) === 200,
    );
    assert.match(out(), new RegExp(`issuer: +https://localhost:${port}/`));
    assert.equal(await httpsStatus(`https://localhost:${port}/test/clock`, ca), 200);
  });
});
