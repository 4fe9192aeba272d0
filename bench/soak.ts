// `npm run soak`: three `gatehouse start` instances (one worker each) on one database under mixed load
// (sign-ups, sign-ins with consent, code redemptions, refresh rotations, Management API writes) for
// SOAK_SECONDS, printing throughput, p99 latency and error counts every SOAK_INTERVAL seconds; then the same
// load on one instance with two workers, to compare what three instances coordinating through the database
// cost against one (docs/benchmarks.md "Soak").
//
//   SOAK_SECONDS=180 SOAK_INTERVAL=15 SOAK_CLIENTS=8 SOAK_DATABASE_URL=postgres://… npm run soak
//
// SOAK_DATABASE_URL (or GATEHOUSE_TEST_PG_URL) is a PostgreSQL role that may CREATE DATABASE: each phase
// gets a database of its own, dropped afterwards. Without either, the instances share a SQLite file.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { killAllStartedChildren } from '../test/helpers/cli.js';
import { Cluster, newLedger, runLoad } from '../test/helpers/fault-load.js';

const seconds = Number(process.env.SOAK_SECONDS ?? 180);
const interval = Number(process.env.SOAK_INTERVAL ?? 15);
const clients = Number(process.env.SOAK_CLIENTS ?? 8);
const adminUrl = process.env.SOAK_DATABASE_URL ?? process.env.GATEHOUSE_TEST_PG_URL;

async function database(): Promise<{ url: string; drop(): Promise<void> }> {
  if (!adminUrl) {
    const dir = mkdtempSync(join(tmpdir(), 'gatehouse-soak-'));
    return { url: `sqlite:${join(dir, 'soak.db')}`, drop: async () => rmSync(dir, { recursive: true, force: true }) };
  }
  const name = `gatehouse_soak_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const client = new pg.Client({ connectionString: adminUrl });
      await client.connect();
      await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await client.end();
    },
  };
}

const p99 = (values: number[]) => {
  if (!values.length) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * 0.99))];
};

/** Runs the load on `instances` instances of `workers` workers for `duration` s; the answers per second. */
async function phase(title: string, instances: number, workers: number, duration: number): Promise<number> {
  const db = await database();
  const cluster = new Cluster(db.url, { GATEHOUSE_WORKERS: String(workers) });
  try {
    await cluster.start(instances);
    console.log(`\n${title}: ${instances} instance(s) × ${workers} worker(s), ${clients} clients, ${duration} s`);
    let window = { answers: 0, latencies: [] as number[], c4xx: 0, c5xx: 0, c503: 0, none: 0 };
    const total = { answers: 0, c4xx: 0, c5xx: 0, none: 0 };
    const started = Date.now();
    const timer = setInterval(() => {
      const elapsed = Math.round((Date.now() - started) / 1000);
      console.log(
        `  ${String(elapsed).padStart(4)} s  ${(window.answers / interval).toFixed(0).padStart(5)} answers/s  ` +
          `p99 ${p99(window.latencies).toFixed(0).padStart(5)} ms  4xx ${window.c4xx}  503 ${window.c503}  ` +
          `other 5xx ${window.c5xx}  no answer ${window.none}`,
      );
      window = { answers: 0, latencies: [], c4xx: 0, c5xx: 0, c503: 0, none: 0 };
    }, interval * 1000);
    await runLoad(cluster, newLedger(), {
      clients,
      rounds: 0,
      more: () => Date.now() - started < duration * 1000,
      onAnswer(status, ms) {
        window.answers++;
        total.answers++;
        window.latencies.push(ms);
        if (status === 0) window.none++, total.none++;
        else if (status === 503) window.c503++;
        else if (status >= 500) window.c5xx++, total.c5xx++;
        else if (status >= 400) window.c4xx++, total.c4xx++;
      },
    });
    clearInterval(timer);
    const rate = total.answers / ((Date.now() - started) / 1000);
    console.log(
      `  total: ${total.answers} answers, ${rate.toFixed(1)}/s; 4xx ${total.c4xx}, 5xx ${total.c5xx}, no answer ${total.none}`,
    );
    return rate;
  } finally {
    await cluster.stop();
    await db.drop();
  }
}

try {
  console.log(`database: ${adminUrl ? 'PostgreSQL' : 'SQLite (one file shared by the instances)'}`);
  const three = await phase('three instances', 3, 1, seconds);
  const one = await phase('one instance', 1, 2, Math.max(30, Math.round(seconds / 2)));
  console.log(
    `\naggregate: three one-worker instances ${three.toFixed(1)} answers/s, one two-worker instance ${one.toFixed(1)} ` +
      `answers/s (${((three / one) * 100).toFixed(0)} %)`,
  );
} finally {
  killAllStartedChildren();
}
