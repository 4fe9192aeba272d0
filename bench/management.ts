// The Management API at scale (`npm run bench -- --management`): the user routes an operator's backend calls
// most, and a sign-in, with 10,000 users in the database and then with 1,000,000, on one Gatehouse (SQLite).
//
//   start (tenant file: admin client, web app, connection, a few users with real passwords)
//   ──> seed to 10,000 ──> measure each route ──> seed to 1,000,000 ──> measure again ──> the ratios
//
// Users are seeded straight into the database through the store's bulk path, all with one precomputed
// argon2id hash (hashing a million passwords would take hours and measures nothing here). Each figure is the
// p50 and p99 of sequential requests over one keep-alive connection: latency, not throughput. The target is
// that every 1,000,000-user figure stays within 2× of the 10,000-user one (docs/benchmarks.md).
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { hash } from '@node-rs/argon2';
import { argon2Options } from '../src/crypto/passwords.js';
import { createStore } from '../src/store/kysely/index.js';
import { openDatabase } from '../src/store/kysely/db.js';
import type { User } from '../src/store/types.js';
import { setUpGatehouse } from './gatehouse.js';
import { cpuModel, gatehouseVersion, loadAverage } from './machine.js';
import { login } from './signin-load.js';
import { createSigninWorkload, type SigninWorkload, signinTenantFile } from './signin-workload.js';
import { createWorkload } from './workload.js';

export interface ManagementSetup {
  dir: string;
  logDir: string;
  gatehouseRoot: string;
  workers: number;
  /** The two sizes measured, smallest first. */
  sizes: readonly number[];
  /** Requests per route and size (sign-ins: a tenth of them, at least 10). */
  samples: number;
}

export interface OperationFigures {
  p50_ms: number;
  p99_ms: number;
}

export interface ManagementResults {
  machine: { cpu_model: string; node: string; loadavg_start: string; loadavg_end: string; gatehouse: string };
  samples: number;
  seed_rows_per_s: Record<string, number>;
  /** size → operation → figures. */
  sizes: Record<string, Record<string, OperationFigures>>;
}

const ADMIN_ID = 'bench-admin';
const SEED_CONNECTION = 'bench-users';
const BATCH = 5000;
const PER_PAGE = 50;
/** The 200th page (page is 0-based): users 9,951–10,000 of the listing, there at every size. */
const DEEP_PAGE = 199;

export const operations = [
  'users-by-email',
  'search q=email:',
  'get by id',
  'list, 1st page',
  'list, 200th page',
  'sign-in',
] as const;
type Operation = (typeof operations)[number];

const seededEmail = (i: number) => `seed${i}@bench.test`;
const seededId = (i: number) => `auth0|seed${String(i).padStart(7, '0')}`;

function seededUser(i: number, passwordHash: string, at: number): User {
  return {
    user_id: seededId(i),
    connection: SEED_CONNECTION,
    email: seededEmail(i),
    email_verified: true,
    username: null,
    phone_number: null,
    phone_verified: false,
    name: `Seeded User ${i}`,
    given_name: null,
    family_name: null,
    nickname: `seed${i}`,
    picture: null,
    password_hash: passwordHash,
    user_metadata: {},
    app_metadata: { plan: i % 2 ? 'free' : 'pro' },
    blocked: false,
    created_at: at + i,
    updated_at: at + i,
  };
}

function quantile(sorted: readonly number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

async function timed(count: number, once: (i: number) => Promise<void>): Promise<OperationFigures> {
  const times: number[] = [];
  for (let i = 0; i < count; i++) {
    const started = performance.now();
    await once(i);
    times.push(performance.now() - started);
  }
  times.sort((a, b) => a - b);
  return { p50_ms: quantile(times, 0.5), p99_ms: quantile(times, 0.99) };
}

export async function managementBenchmark(setup: ManagementSetup): Promise<ManagementResults> {
  const loadavgStart = loadAverage();
  const signin = createSigninWorkload(20);
  const adminSecret = randomBytes(32).toString('base64url');
  const tenant = signinTenantFile(signin);
  const gatehouse = await setUpGatehouse({
    root: setup.gatehouseRoot,
    dir: setup.dir,
    logDir: setup.logDir,
    workers: setup.workers,
    workload: createWorkload(),
    tenant,
    name: 'gatehouse-management',
    env: { GATEHOUSE_ADMIN_CLIENT_ID: ADMIN_ID, GATEHOUSE_ADMIN_CLIENT_SECRET: adminSecret },
  });
  const server = await gatehouse.start([], 120_000);
  const store = createStore(openDatabase(`sqlite:${join(setup.dir, 'gatehouse-management.db')}`));
  try {
    const issuer = gatehouse.issuer;
    const token = await adminToken(issuer, adminSecret);
    const get = (path: string) => fetch(`${issuer}api/v2${path}`, { headers: { authorization: `Bearer ${token}` } });
    const api = async (path: string) => {
      // A kept-alive connection left idle while seeding is closed by the server (5 s keep-alive); undici may
      // send on it just as it closes. That one request is sent again on a new connection.
      const answer = await get(path).catch(() => get(path));
      const text = await answer.text();
      if (answer.status !== 200) throw new Error(`GET /api/v2${path}: ${answer.status} ${text.slice(0, 300)}`);
      return JSON.parse(text) as unknown;
    };
    const passwordHash = await hash(`Seeded-${randomBytes(9).toString('base64url')}`, argon2Options);
    const results: ManagementResults = {
      machine: {
        cpu_model: cpuModel(),
        node: process.version,
        loadavg_start: loadavgStart,
        loadavg_end: '',
        gatehouse: gatehouseVersion(setup.gatehouseRoot),
      },
      samples: setup.samples,
      seed_rows_per_s: {},
      sizes: {},
    };
    let seeded = 0;
    const at = Date.now();
    for (const size of setup.sizes) {
      const started = performance.now();
      for (let from = seeded; from < size; from += BATCH) {
        const batch = Array.from({ length: Math.min(BATCH, size - from) }, (_, k) =>
          seededUser(from + k, passwordHash, at),
        );
        await store.users.insertMany(batch);
      }
      results.seed_rows_per_s[String(size)] = Math.round((size - seeded) / ((performance.now() - started) / 1000));
      seeded = size;
      console.log(`seeded ${size.toLocaleString('en-US')} users (${results.seed_rows_per_s[String(size)]} rows/s)`);
      // The first size also warms up: its routes run once unmeasured, so JIT and caches do not count against it.
      if (size === setup.sizes[0]) await measure(size, api, signin, issuer, Math.max(10, setup.samples / 5));
      const figures = await measure(size, api, signin, issuer, setup.samples);
      results.sizes[String(size)] = figures;
      console.log(formatSize(size, figures));
    }
    results.machine.loadavg_end = loadAverage();
    return results;
  } finally {
    await store.close();
    await server.stop();
  }
}

async function measure(
  size: number,
  api: (path: string) => Promise<unknown>,
  signin: SigninWorkload,
  issuer: string,
  samples: number,
): Promise<Record<Operation, OperationFigures>> {
  const pick = (i: number) => (i * 7919 + size) % size;
  const figures = {} as Record<Operation, OperationFigures>;
  const expectOne = (found: unknown, what: string) => {
    const list = Array.isArray(found) ? found : [];
    if (list.length !== 1) throw new Error(`${what}: expected one user, got ${list.length}`);
  };
  figures['users-by-email'] = await timed(samples, async (i) => {
    const email = seededEmail(pick(i));
    expectOne(await api(`/users-by-email?email=${encodeURIComponent(email)}`), email);
  });
  figures['search q=email:'] = await timed(samples, async (i) => {
    const q = `email:"${seededEmail(pick(i))}"`;
    expectOne(await api(`/users?search_engine=v3&q=${encodeURIComponent(q)}`), q);
  });
  figures['get by id'] = await timed(samples, async (i) => {
    await api(`/users/${encodeURIComponent(seededId(pick(i)))}`);
  });
  for (const page of [0, DEEP_PAGE] as const) {
    figures[page === 0 ? 'list, 1st page' : 'list, 200th page'] = await timed(samples, async () => {
      const users = await api(`/users?page=${page}&per_page=${PER_PAGE}`);
      if (!Array.isArray(users) || users.length !== PER_PAGE) throw new Error(`page ${page}: not ${PER_PAGE} users`);
    });
  }
  figures['sign-in'] = await timed(Math.max(10, Math.round(samples / 10)), async (i) => {
    await login(issuer, signin, signin.users[i % signin.users.length], 'http');
  });
  return figures;
}

async function adminToken(issuer: string, secret: string): Promise<string> {
  const answer = await fetch(`${issuer}oauth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: ADMIN_ID,
      client_secret: secret,
      audience: `${issuer}api/v2/`,
    }),
  });
  const body = (await answer.json()) as { access_token?: string };
  if (!body.access_token) throw new Error(`no Management API token: ${JSON.stringify(body)}`);
  return body.access_token;
}

const ms = (n: number) => n.toFixed(1).padStart(7);

function formatSize(size: number, figures: Record<string, OperationFigures>): string {
  return operations
    .map(
      (op) =>
        `${size.toLocaleString('en-US').padStart(9)} users  ${op.padEnd(18)} p50 ${ms(figures[op].p50_ms)} ms  p99 ${ms(figures[op].p99_ms)} ms`,
    )
    .join('\n');
}

/** The table: each operation's p50/p99 at each size, and the largest size's p50 and p99 over the smallest's. */
export function formatManagementReport(results: ManagementResults): string {
  const sizes = Object.keys(results.sizes)
    .map(Number)
    .sort((a, b) => a - b);
  const small = results.sizes[String(sizes[0])];
  const large = results.sizes[String(sizes.at(-1))];
  const header = `Management API at scale (${results.samples} requests per route; ${results.machine.cpu_model}, Node ${results.machine.node})`;
  const columns = sizes.map((s) => `${s.toLocaleString('en-US')} users: p50 / p99 ms`.padStart(32)).join('');
  const lines = operations.map((op) => {
    const cells = sizes
      .map((s) =>
        `${ms(results.sizes[String(s)][op].p50_ms)} / ${ms(results.sizes[String(s)][op].p99_ms)}`.padStart(32),
      )
      .join('');
    const p50 = large[op].p50_ms / small[op].p50_ms;
    const p99 = large[op].p99_ms / small[op].p99_ms;
    return `${op.padEnd(18)}${cells}   ×${p50.toFixed(2)} / ×${p99.toFixed(2)}${Math.max(p50, p99) > 2 ? '  (over 2×)' : ''}`;
  });
  return [header, `${''.padEnd(18)}${columns}   largest ÷ smallest`, ...lines].join('\n');
}
