// A worker's configuration write reaches every worker of the instance before the writer goes on:
// broadcastInvalidation() resolves only after each worker has run its invalidate callback.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';

const invalidation = new URL('../../src/invalidation.js', import.meta.url).href;

const script = (log: string) => `
import cluster from 'node:cluster';
import { appendFileSync, readFileSync } from 'node:fs';
import { broadcastInvalidation, onInvalidation, relayInvalidations } from ${JSON.stringify(invalidation)};
const WORKERS = 3;
const log = ${JSON.stringify(log)};
if (cluster.isPrimary) {
  relayInvalidations();
  let ready = 0;
  cluster.on('message', (worker, message) => {
    if (message?.kind === 'ready' && ++ready === WORKERS) Object.values(cluster.workers)[0].send({ kind: 'write' });
    if (message?.kind === 'written') {
      const pids = Object.values(cluster.workers).map((w) => w.process.pid);
      console.log(JSON.stringify({ ...message, workers: WORKERS, pids }));
      for (const w of Object.values(cluster.workers)) w.kill();
    }
  });
  for (let i = 0; i < WORKERS; i++) cluster.fork();
} else {
  // Each worker writes a line synchronously when told to invalidate, before it acknowledges. It first blocks
  // for a moment (well inside the relay's timeout), so a relay that does not wait for the acknowledgements
  // answers before the lines are written.
  onInvalidation(() => {
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 300);
    appendFileSync(log, process.pid + '\\n');
  });
  process.on('message', async (message) => {
    if (message?.kind !== 'write') return;
    await broadcastInvalidation();
    // Read the moment the broadcast resolves: every worker's line must be there already.
    const lines = readFileSync(log, 'utf8').split('\\n').filter(Boolean);
    process.send({ kind: 'written', lines: lines.length, distinct: new Set(lines).size, seen: lines, writer: process.pid });
  });
  process.send({ kind: 'ready' });
}
`;

test('broadcastInvalidation resolves after every worker invalidated', { timeout: 60_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-invalidation-'));
  const file = join(dir, 'cluster.mjs');
  const log = join(dir, 'invalidated.log');
  writeFileSync(log, '');
  writeFileSync(file, script(log));
  // A cluster that hangs is killed, so the test stops by itself.
  const child = spawn(process.execPath, [file], { stdio: ['ignore', 'pipe', 'inherit'], timeout: 50_000 });
  let out = '';
  child.stdout.on('data', (chunk) => (out += chunk));
  const code = await new Promise((resolve) => child.on('exit', resolve));
  assert.equal(code, 0);
  const result = JSON.parse(out.trim());
  assert.equal(result.lines, result.workers);
  assert.equal(result.distinct, result.workers);
  // Every worker of the cluster, the writer among them, had invalidated when the writer went on; and each only
  // once: nothing was added to the log after the broadcast resolved.
  const pids = (result.pids as number[]).map(String).sort();
  assert.equal(pids.length, result.workers);
  assert.deepEqual([...result.seen].sort(), pids);
  assert.ok(pids.includes(String(result.writer)), 'the writer invalidated its own caches too');
  assert.deepEqual(readFileSync(log, 'utf8').split('\n').filter(Boolean).sort(), pids);
});

test('outside a cluster, broadcastInvalidation resolves at once', async () => {
  const { broadcastInvalidation } = await import('../../src/invalidation.js');
  await broadcastInvalidation();
});
