// An operator starts Gatehouse on a database it cannot use: a directory, a file it may not write, a file
// that is not a database, a database cut short, one that another process holds locked, a PostgreSQL server
// that is down, refuses the password or lacks the database. Each start exits 1 with one sentence on stderr
// that names the file (or host and database, never the password) and says what to do, without a stack;
// at GATEHOUSE_LOG_LEVEL=debug the stack follows.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import SQLite from 'better-sqlite3';
import { killAllStartedChildren, runCli, type SpawnOptions } from '../helpers/cli.js';
import { TEST_SECRET } from '../helpers/server.js';

after(killAllStartedChildren);

const dir = mkdtempSync(join(tmpdir(), 'gatehouse-start-errors-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** A real, migrated database with its keys: what `gatehouse keys list` leaves behind. */
async function realDatabase(name: string): Promise<string> {
  const file = join(dir, name, 'gatehouse.db');
  const made = await runCli(['keys', 'list'], {
    GATEHOUSE_DATABASE_URL: `sqlite:${file}`,
    GATEHOUSE_SECRET: TEST_SECRET,
  });
  assert.equal(made.code, 0, made.stderr);
  return file;
}

async function start(databaseUrl: string, env: Record<string, string> = {}, options: SpawnOptions = {}) {
  return runCli(
    ['start'],
    {
      GATEHOUSE_DATABASE_URL: databaseUrl,
      GATEHOUSE_SECRET: TEST_SECRET,
      GATEHOUSE_PORT: '1',
      GATEHOUSE_WORKERS: '1',
      ...env,
    },
    120_000,
    options,
  );
}

function assertOneSentence(result: { code: number | null; stderr: string }, names: string, says: RegExp) {
  assert.equal(result.code, 1, result.stderr);
  const lines = result.stderr.split('\n').filter(Boolean);
  assert.equal(lines.length, 1, result.stderr);
  assert.ok(lines[0].includes(names), `${lines[0]} does not name ${names}`);
  assert.match(lines[0], says);
  assert.doesNotMatch(result.stderr, /SqliteError|\n\s+at |node_modules/);
}

describe('gatehouse start on a SQLite database it cannot use', () => {
  test('a directory', async () => {
    const path = join(dir, 'a-directory');
    mkdirSync(path);
    assertOneSentence(await start(`sqlite:${path}`), path, /is a directory: set GATEHOUSE_DATABASE_URL/);
  });

  test('a read-only file system (a read-only bind mount in a mount namespace of its own)', async () => {
    const file = await realDatabase('read-only');
    const readOnly = join(dir, 'read-only');
    // Only the CLI's mount namespace sees the directory read-only, whoever runs the tests (root included): the
    // database can be read but not written, as on a file system mounted read-only.
    const prefix = [
      'unshare',
      ...(process.getuid?.() === 0 ? ['-m'] : ['-r', '-m']),
      '--',
      'sh',
      '-c',
      'mount --bind "$0" "$0" && mount -o remount,ro,bind "$0" && exec "$@"',
      readOnly,
    ];
    assertOneSentence(
      await start(`sqlite:${file}`, {}, { prefix }),
      file,
      /cannot be written .*give the user running Gatehouse write access/,
    );
  });

  test('a file of random bytes', async () => {
    const file = join(dir, 'random.db');
    writeFileSync(file, randomBytes(16384));
    assertOneSentence(await start(`sqlite:${file}`), file, /is corrupt or truncated.*restore it from a backup/);
  });

  test('a real database cut short', async () => {
    const file = await realDatabase('truncated');
    const bytes = readFileSync(file);
    writeFileSync(file, bytes.subarray(0, Math.floor(bytes.length / 3)));
    assertOneSentence(await start(`sqlite:${file}`), file, /is corrupt or truncated/);
  });

  test('a database another process holds locked: gives up after GATEHOUSE_DATABASE_LOCK_TIMEOUT and says so', async () => {
    const file = await realDatabase('locked');
    const holder = new SQLite(file);
    holder.exec('begin exclusive');
    try {
      const result = await start(`sqlite:${file}`, { GATEHOUSE_DATABASE_LOCK_TIMEOUT: '1' });
      assertOneSentence(
        result,
        file,
        /is locked by another process and stayed locked for 1 s: stop the process holding it/,
      );
    } finally {
      holder.exec('rollback');
      holder.close();
    }
  });

  test('at log level debug the stack follows the sentence', async () => {
    const path = join(dir, 'a-directory-too');
    mkdirSync(path);
    const result = await start(`sqlite:${path}`, { GATEHOUSE_LOG_LEVEL: 'debug' });
    assert.equal(result.code, 1);
    assert.match(result.stderr, /^gatehouse: The SQLite database .* is a directory: .*\n.*SqliteError.*\n\s+at /);
  });
});

const adminUrl = process.env.GATEHOUSE_TEST_PG_URL;
describe('gatehouse start on a PostgreSQL database it cannot use', {
  skip: adminUrl ? false : 'GATEHOUSE_TEST_PG_URL is not set',
}, () => {
  const variant = (change: (url: URL) => void) => {
    const url = new URL(adminUrl!);
    change(url);
    return url;
  };
  const rows = [
    {
      name: 'the server is not running',
      url: variant((u) => {
        u.port = '1';
        u.password = 'unused-password-xyz';
      }),
      says: /^gatehouse: Cannot reach PostgreSQL at 127\.0\.0\.1:1 \(database "\w+"\) \(ECONNREFUSED\): check that the server runs/,
    },
    {
      name: 'a wrong password',
      url: variant((u) => (u.password = 'not-the-password-xyz')),
      says: /^gatehouse: PostgreSQL at 127\.0\.0\.1:\d+ \(database "\w+"\) refused the login of user "\w+": check the user name and password/,
    },
    {
      name: 'a missing database',
      url: variant((u) => (u.pathname = '/gatehouse_missing_db')),
      says: /^gatehouse: PostgreSQL at 127\.0\.0\.1:\d+ \(database "gatehouse_missing_db"\) does not exist: create it/,
    },
  ];
  for (const row of rows) {
    test(row.name, async () => {
      const result = await start(row.url.toString());
      assert.equal(result.code, 1, result.stderr);
      assert.equal(result.stderr.split('\n').filter(Boolean).length, 1, result.stderr);
      assert.match(result.stderr, row.says);
      // The password is never printed (the CI role's password is also its name, so look for it as in the URL).
      assert.ok(
        !result.stderr.includes(`:${row.url.password}@`) && !result.stderr.includes('password-xyz'),
        result.stderr,
      );
    });
  }
});
