// Every HTTP test runs on SQLite and on PostgreSQL. PostgreSQL runs when GATEHOUSE_TEST_PG_URL is set
// (each test file gets a database of its own, dropped afterwards); without it the suite says it was
// skipped and how to run it, unless GATEHOUSE_TEST_REQUIRE_PG=1 (CI), where it fails instead.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';

export interface TestDatabase {
  url: string;
  drop(): Promise<void>;
}

export interface DatabaseKind {
  name: 'SQLite' | 'PostgreSQL';
  /** A reason to skip, when this kind cannot run here. */
  skip: string | false;
  create(): Promise<TestDatabase>;
}

export const PG_SKIP_REASON =
  'PostgreSQL tests: set GATEHOUSE_TEST_PG_URL=postgres://user:password@127.0.0.1:5432/db (a role that may CREATE DATABASE) to run them';

const sqlite: DatabaseKind = {
  name: 'SQLite',
  skip: false,
  async create() {
    const dir = mkdtempSync(join(tmpdir(), 'gatehouse-test-'));
    return {
      url: `sqlite:${join(dir, 'gatehouse.db')}`,
      drop: async () => rmSync(dir, { recursive: true, force: true }),
    };
  },
};

const adminUrl = process.env.GATEHOUSE_TEST_PG_URL;
if (!adminUrl && process.env.GATEHOUSE_TEST_REQUIRE_PG === '1') {
  throw new Error('GATEHOUSE_TEST_REQUIRE_PG=1 but GATEHOUSE_TEST_PG_URL is not set: the PostgreSQL tests cannot run');
}

const postgres: DatabaseKind = {
  name: 'PostgreSQL',
  skip: adminUrl ? false : PG_SKIP_REASON,
  async create() {
    const name = `gatehouse_test_${randomBytes(6).toString('hex')}`;
    const admin = new pg.Client({ connectionString: adminUrl });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${name}`);
    await admin.end();
    const url = new URL(adminUrl!);
    url.pathname = `/${name}`;
    return {
      url: url.toString(),
      async drop() {
        const client = new pg.Client({ connectionString: adminUrl });
        await client.connect();
        try {
          for (let attempt = 1; ; attempt++) {
            try {
              await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
              return;
            } catch (error) {
              // 42501: an autovacuum worker was in the database, and a role without pg_signal_backend may not end
              // it (.ci/run grants the role pg_signal_backend); it leaves within moments, so try again.
              if ((error as { code?: string }).code !== '42501' || attempt >= 20) throw error;
              await new Promise((resolve) => setTimeout(resolve, 250));
            }
          }
        } finally {
          await client.end();
        }
      },
    };
  },
};

export const databaseKinds: readonly DatabaseKind[] = [sqlite, postgres];
