// Prints the folder-level import graph of src/ and fails on an edge that points up a layer or on a cycle
// between folders. The layers, lowest first, are those of docs/architecture.md; a folder may import its own
// layer's files and anything below it, never above.
//
//   node scripts/layers.mjs          the graph, then the violations (exit 1 when there are any)
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const src = join(root, 'src');

/** Lowest first. A node is a folder under src/ or a top-level file (without .ts). */
const layers = [
  ['config', 'crypto'],
  ['store'],
  ['protocol'],
  ['tenant-file', 'management'],
  ['http', 'login', 'invalidation'],
  ['start-up', 'tenant', 'app'],
  ['main'],
  ['cli'],
];
/** Packages a layer must not import: the protocol speaks neither HTTP, SQL nor HTML. */
const forbiddenPackages = { protocol: ['fastify', '@fastify/', 'kysely', 'pg', 'better-sqlite3', 'liquidjs'] };

const rank = new Map(layers.flatMap((names, i) => names.map((name) => [name, i])));

function sourceFiles(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

/** src/protocol/grants/x.ts → protocol; src/app.ts → app */
const nodeOf = (file) => relative(src, file).split('/')[0].replace(/\.ts$/, '');

const edges = new Map(); // "a b" → example "file → import"
const violations = [];
for (const file of sourceFiles(src)) {
  const from = nodeOf(file);
  const text = readFileSync(file, 'utf8');
  for (const [, specifier] of text.matchAll(/(?:from|import\()\s*'([^']+)'/g)) {
    if (!specifier.startsWith('.')) {
      const banned = (forbiddenPackages[from] ?? []).find((p) => specifier === p || specifier.startsWith(p.endsWith('/') ? p : `${p}/`));
      if (banned) violations.push(`${relative(root, file)} imports ${specifier}: ${from}/ must not depend on it`);
      continue;
    }
    const target = normalize(join(dirname(file), specifier)).replace(/\.js$/, '.ts');
    const to = nodeOf(target);
    if (to === from) continue;
    const key = `${from} ${to}`;
    if (!edges.has(key)) edges.set(key, `${relative(root, file)} → ${specifier}`);
  }
}

for (const [key, example] of [...edges].sort()) {
  const [from, to] = key.split(' ');
  const up = !rank.has(from) || !rank.has(to) || rank.get(to) > rank.get(from);
  const cycle = edges.has(`${to} ${from}`);
  const mark = up ? '  UPWARD' : cycle ? '  CYCLE' : '';
  console.log(`${from.padEnd(12)} → ${to.padEnd(12)} ${example}${mark}`);
  if (!rank.has(from) || !rank.has(to)) violations.push(`${from} → ${to}: ${!rank.has(from) ? from : to} is in no layer (add it to scripts/layers.mjs and docs/architecture.md)`);
  else if (up) violations.push(`${from} → ${to} points up a layer (${example})`);
  else if (cycle) violations.push(`${from} ⇄ ${to} is a cycle (${example})`);
}

if (violations.length) {
  console.error(`\n${violations.length} layer violation(s):\n  ${violations.join('\n  ')}`);
  process.exit(1);
}
console.log('\nno upward edge, no cycle');
