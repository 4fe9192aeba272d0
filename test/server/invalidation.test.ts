// A worker's configuration write reaches every worker of the instance before the writer goes on:
// broadcastInvalidation() resolves only after each worker has run its invalidate callback.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
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
      console.log(JSON.stringify({ ...message, workers: WORKERS }));
      for (const w of Object.values(cluster.workers)) w.kill();
    }
  });
  for (let i = 0; i < WORKERS; i++) cluster.fork();
} else {
  // Each worker writes a line synchronously when told to invalidate, before it acknowledges.
  onInvalidation(() => appendFileSync(log, process.pid + '\\n'));
  process.on('message', async (message) => {
    if (message?.kind !== 'write') return;
    await broadcastInvalidation();
    // Read the moment the broadcast resolves: every worker's line must be there already.
    const lines = readFileSync(log, 'utf8').split('\\n').filter(Boolean);
    process.send({ kind: 'written', lines: lines.length, distinct: new Set(lines).size });
  });
  process.send({ kind: 'ready' });
}
`;

test('broadcastInvalidation resolves after every worker invalidated', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-invalidation-'));
  const file = join(dir, 'cluster.mjs');
  const log = join(dir, 'invalidated.log');
  writeFileSync(log, '');
  writeFileSync(file, script(log));
  const child = spawn(process.execPath, [file], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (chunk) => (out += chunk));
  const code = await new Promise((resolve) => child.on('exit', resolve));
  assert.equal(code, 0);
  const result = JSON.parse(out.trim());
  assert.equal(result.lines, result.workers);
  assert.equal(result.distinct, result.workers);
});

test('outside a cluster, broadcastInvalidation resolves at once', async () => {
  const { broadcastInvalidation } = await import('../../src/invalidation.js');
  await broadcastInvalidation();
});
