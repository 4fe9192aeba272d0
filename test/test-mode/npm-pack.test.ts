// The package as a user gets it: `npm pack`, the tarball unpacked into an empty project as `npm install` lays it
// out (node_modules/gatehouse, its `bin` linked into node_modules/.bin), then `npx gatehouse start --test` run
// there answers /healthz. Offline: the tarball's runtime dependencies are linked from this checkout's
// node_modules instead of fetched (only those in package.json's `dependencies`, so a missing one fails here).
// The test run built dist/ already, so the pack skips the `prepare` build (--ignore-scripts); a plain `npm pack`
// runs it first.
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import {
  chmodSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { promisify } from 'node:util';
import { cliEnv, repoRoot, waitFor } from '../helpers/cli.js';
import { freePort } from '../helpers/server.js';

const run = promisify(execFile);
/** The temporary database folders test mode makes (config.ts). */
const OURS = /^gatehouse-test-\d+-[0-9a-f]{12}$/;
const work = mkdtempSync(join(tmpdir(), 'gatehouse-pack-'));
after(() => rmSync(work, { recursive: true, force: true }));

test('npm pack, installed into an empty project: npx gatehouse start --test answers /healthz, and its temporary database is gone after', async () => {
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
  ])
    assert.ok(paths.includes(needed), `${needed} is in the package`);
  assert.ok(!paths.some((p) => p.startsWith('dist/test/') || p.startsWith('dist/bench/') || p.endsWith('.ts')));

  const project = join(work, 'app');
  const installed = join(project, 'node_modules', 'gatehouse');
  mkdirSync(installed, { recursive: true });
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'app', private: true }));
  await run('tar', ['-xzf', join(work, packed.filename), '-C', installed, '--strip-components=1']);
  const manifest = JSON.parse(readFileSync(join(installed, 'package.json'), 'utf8'));
  for (const name of Object.keys(manifest.dependencies)) {
    mkdirSync(join(project, 'node_modules', name, '..'), { recursive: true });
    symlinkSync(join(repoRoot, 'node_modules', name), join(project, 'node_modules', name));
  }
  mkdirSync(join(project, 'node_modules', '.bin'));
  const bin = join(installed, manifest.bin.gatehouse);
  chmodSync(bin, 0o755);
  symlinkSync(bin, join(project, 'node_modules', '.bin', 'gatehouse'));

  const port = await freePort();
  const temporaryBefore = new Set(readdirSync(tmpdir()).filter((name) => OURS.test(name)));
  const child = spawn('npx', ['--offline', 'gatehouse', 'start', '--test', '--port', String(port)], {
    cwd: project,
    env: cliEnv({ GATEHOUSE_LOG_LEVEL: 'warn' }),
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let out = '';
  child.stdout.on('data', (chunk) => (out += chunk));
  child.stderr.on('data', (chunk) => (out += chunk));
  const exited = new Promise((resolve) => child.on('exit', resolve));
  try {
    await waitFor(
      '/healthz 200',
      async () => (await fetch(`http://127.0.0.1:${port}/healthz`).catch(() => undefined))?.status === 200,
      60_000,
    );
    await waitFor('the banner', () => out.includes('TEST MODE'));
    assert.match(out, /NEVER LET IT FACE USERS/);
    assert.equal((await fetch(`http://127.0.0.1:${port}/test/clock`)).status, 200);
  } finally {
    process.kill(-child.pid!, 'SIGTERM');
    await exited;
  }
  const left = readdirSync(tmpdir()).filter((name) => OURS.test(name) && !temporaryBefore.has(name));
  assert.deepEqual(left, [], 'the temporary database folder is removed at exit');
});
