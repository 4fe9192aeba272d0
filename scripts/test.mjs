// Runs every compiled test file with node:test, prints the spec report, then one closing summary
// that says what was skipped and how to run it.
import { existsSync, readdirSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join, relative } from 'node:path';
import { run } from 'node:test';
import { spec } from 'node:test/reporters';

const root = new URL('..', import.meta.url).pathname;

function testFiles(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return testFiles(path);
    // Only files whose TypeScript source still exists: dist/ may hold a renamed test's old output.
    const source = join(root, relative(join(root, 'dist'), path)).replace(/\.js$/, '.ts');
    return entry.name.endsWith('.test.js') && existsSync(source) ? [path] : [];
  });
}

const only = process.argv.slice(2);
const files = testFiles(join(root, 'dist/test'))
  .filter((f) => !only.length || only.some((o) => f.includes(o)))
  .sort();
let passed = 0;
let failed = 0;
let skipped = 0;
const skipReasons = new Set();

const stream = run({ files, concurrency: Math.max(2, availableParallelism()), timeout: 5 * 60_000 });
stream.on('test:pass', (event) => {
  if (event.details?.type === 'suite') {
    // A skipped suite (PostgreSQL or browser missing) is counted once, with its reason.
    if (typeof event.skip === 'string') {
      skipped++;
      skipReasons.add(event.skip);
    }
    return;
  }
  if (event.skip !== undefined && event.skip !== false) {
    skipped++;
    if (typeof event.skip === 'string') skipReasons.add(event.skip);
  } else passed++;
});
stream.on('test:fail', (event) => {
  if (event.details?.type === 'suite' && event.details?.error?.failureType === 'subtestsFailed') return;
  failed++;
  process.exitCode = 1;
});
stream.compose(typeof spec === 'function' ? new spec() : spec).pipe(process.stdout);
stream.on('close', () => {
  const lines = [];
  for (const reason of skipReasons) lines.push(`skipped: ${reason}`);
  lines.push(`${passed} passed, ${failed} failed, ${skipped} skipped`);
  setImmediate(() => process.stdout.write(`\n${lines.join('\n')}\n`));
});
