// Prints the folder-level import graph of src/ and fails on an edge that points up a layer, on a cycle
// between folders, or on a cycle between the parts (sub-folders and files) of one folder. The layers, lowest
// first, are those of docs/architecture.md; a folder may import its own layer's files and anything below it.
//
//   node scripts/layers.mjs          the graph, then the violations (exit 1 when there are any)
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const src = join(root, 'src');

/** Lowest first. A node is a folder under src/ or a top-level file (without .ts). */
const layers = [
  ['config', 'file-limit', 'clock', 'crypto', 'metrics'],
  ['store'],
  ['audit', 'delivery'],
  ['protocol'],
  ['tenant-file'],
  ['http', 'login', 'invalidation', 'heartbeat'],
  ['start-up', 'app'],
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
/** src/protocol/grants/x.ts → protocol/grants; src/protocol/token.ts → protocol/token; src/app.ts → undefined */
const partOf = (file) => {
  const parts = relative(src, file).split('/');
  return parts.length > 2 || (parts.length === 2 && parts[1])
    ? `${parts[0]}/${parts[1].replace(/\.ts$/, '')}`
    : undefined;
};

/** Every cycle of a graph given as "a b" edge keys: its strongly connected components of two or more nodes. */
function cycles(edgeKeys) {
  const next = new Map();
  for (const key of edgeKeys) {
    const [a, b] = key.split(' ');
    if (!next.has(a)) next.set(a, []);
    if (!next.has(b)) next.set(b, []);
    next.get(a).push(b);
  }
  // Tarjan's algorithm.
  let index = 0;
  const order = new Map();
  const low = new Map();
  const stack = [];
  const onStack = new Set();
  const found = [];
  const visit = (v) => {
    order.set(v, index);
    low.set(v, index++);
    stack.push(v);
    onStack.add(v);
    for (const w of next.get(v)) {
      if (!order.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v), low.get(w)));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v), order.get(w)));
    }
    if (low.get(v) === order.get(v)) {
      const component = [];
      let w;
      do {
        w = stack.pop();
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1) found.push(component.sort());
    }
  };
  for (const v of next.keys()) if (!order.has(v)) visit(v);
  return found;
}

const edges = new Map(); // "a b" → example "file → import"
const partEdges = new Map(); // inside one folder: "protocol/grants protocol/tokens" → example
const violations = [];
for (const file of sourceFiles(src)) {
  const from = nodeOf(file);
  const text = readFileSync(file, 'utf8');
  for (const [, specifier] of text.matchAll(/(?:from|import\()\s*'([^']+)'/g)) {
    if (!specifier.startsWith('.')) {
      const banned = (forbiddenPackages[from] ?? []).find(
        (p) => specifier === p || specifier.startsWith(p.endsWith('/') ? p : `${p}/`),
      );
      if (banned) violations.push(`${relative(root, file)} imports ${specifier}: ${from}/ must not depend on it`);
      continue;
    }
    const target = normalize(join(dirname(file), specifier)).replace(/\.js$/, '.ts');
    const to = nodeOf(target);
    const [fromPart, toPart] = [partOf(file), partOf(target)];
    if (to === from && fromPart && toPart && fromPart !== toPart) {
      const key = `${fromPart} ${toPart}`;
      if (!partEdges.has(key)) partEdges.set(key, `${relative(root, file)} → ${specifier}`);
    }
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
  if (!rank.has(from) || !rank.has(to))
    violations.push(
      `${from} → ${to}: ${!rank.has(from) ? from : to} is in no layer (add it to scripts/layers.mjs and docs/architecture.md)`,
    );
  else if (up) violations.push(`${from} → ${to} points up a layer (${example})`);
  else if (cycle) violations.push(`${from} ⇄ ${to} is a cycle (${example})`);
}
for (const component of cycles(edges.keys())) {
  if (component.length > 2) violations.push(`a cycle between folders: ${component.join(', ')}`);
}
for (const component of cycles(partEdges.keys())) {
  const examples = [...partEdges].filter(
    ([key]) => component.includes(key.split(' ')[0]) && component.includes(key.split(' ')[1]),
  );
  violations.push(
    `a cycle inside ${component[0].split('/')[0]}/: ${component.join(', ')} (${examples.map(([, e]) => e).join('; ')})`,
  );
}

if (violations.length) {
  console.error(`\n${violations.length} layer violation(s):\n  ${violations.join('\n  ')}`);
  process.exit(1);
}
console.log('\nno upward edge, no cycle');
