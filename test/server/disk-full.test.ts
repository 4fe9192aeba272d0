// The database's disk fills up (SQLite: a real, small tmpfs in a mount namespace of the server's own) or
// the database turns read-only (PostgreSQL: default_transaction_read_only for new sessions, then the
// pool's sessions are ended). Writes answer 503 with Retry-After and a generic body in each surface's
// shape, the cause is logged once (not once per request), /healthz answers 503; once space is freed or the
// database is writable again, the server recovers by itself.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, openSync, rmSync, writeSync, closeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { execFileSync } from 'node:child_process';
import pg from 'pg';
import { createRequire } from 'node:module';
const require = createRequire(import.meta.url);
import { DEV_CONNECTION } from '../../src/tenant-file/bootstrap.js';
import { type CliProcess, killAllStartedChildren, spawnCli } from '../helpers/cli.js';
import { databaseKinds } from '../helpers/databases.js';
import { PASSWORD } from '../helpers/fixtures.js';
import { freePort, TEST_SECRET } from '../helpers/server.js';

after(killAllStartedChildren);

const STORAGE_LOG = 'database cannot be written (disk full or read-only); answering 503 until it can';

interface Breakage {
  /** Makes writes fail for real. */
  breakWrites(server: CliProcess): Promise<void>;
  /** Makes them work again (space freed, database writable). */
  restoreWrites(server: CliProcess): Promise<void>;
}

function logLines(server: CliProcess): Record<string, unknown>[] {
  return server
    .stdout()
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

function storageSuite(
  title: string,
  databaseUrl: () => string,
  breakage: Breakage,
  prefix: () => string[] | undefined,
) {
  describe(title, () => {
    let server: CliProcess;
    let base: string;
    let clientId: string;
    let authorize: string;
    let n = 0;
    const signUp = () =>
      fetch(`${base}/dbconnections/signup`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          client_id: clientId,
          email: `user${++n}@example.com`,
          password: PASSWORD,
          connection: DEV_CONNECTION,
        }),
      });

    before(async () => {
      const port = await freePort();
      base = `http://127.0.0.1:${port}`;
      server = spawnCli(
        ['start'],
        {
          GATEHOUSE_PORT: String(port),
          GATEHOUSE_ISSUER: `${base}/`,
          GATEHOUSE_DATABASE_URL: databaseUrl(),
          GATEHOUSE_SECRET: TEST_SECRET,
          GATEHOUSE_WORKERS: '1',
          GATEHOUSE_LOG_LEVEL: 'info',
        },
        { prefix: prefix() },
      );
      await server.waitForStdout(/web app client_secret: .*\n/);
      clientId = /web app client_id: +(\S+)/.exec(server.stdout())![1];
      authorize = /^ {2}(http:\/\/\S+\/authorize\?\S+)$/m.exec(server.stdout())![1].replace(/^http:\/\/[^/]+/, base);
    });
    after(() => server?.stop());

    test("writes answer 503 in each surface's shape, /healthz 503, the cause logged once; then it recovers", async () => {
      assert.equal((await signUp()).status, 200, 'a sign-up works before');
      assert.equal((await fetch(`${base}/healthz`)).status, 200);
      await breakage.breakWrites(server);

      for (let i = 0; i < 2; i++) {
        const response = await signUp();
        assert.equal(response.status, 503, await response.clone().text());
        assert.equal(response.headers.get('retry-after'), '30');
        assert.deepEqual(await response.json(), {
          name: 'ServiceUnavailableError',
          code: 'temporarily_unavailable',
          description: 'The service is temporarily unavailable. Try again later.',
          statusCode: 503,
          error: 'temporarily_unavailable',
          error_description: 'The service is temporarily unavailable. Try again later.',
        });
      }
      // /authorize stores the sign-in transaction: the browser gets an error page.
      const page = await fetch(authorize, { redirect: 'manual' });
      assert.equal(page.status, 503, `/authorize: ${page.headers.get('location')}`);
      assert.equal(page.headers.get('retry-after'), '30');
      assert.match(await page.text(), /temporarily unavailable/);

      const health = await fetch(`${base}/healthz`);
      assert.equal(health.status, 503, 'healthz');
      assert.deepEqual(await health.json(), { status: 'unavailable', reason: 'database not writable' });

      // The request lines reach stdout after the error line; wait for the last one, then count.
      await server.waitForStdout(/"url":"\/healthz"[^\n]*"status":503/);
      const logged = logLines(server).filter((line) => line.msg === STORAGE_LOG);
      assert.equal(logged.length, 1, JSON.stringify(logged));
      assert.match(JSON.stringify(logged[0].err), /SQLITE_FULL|25006|53100/);

      await breakage.restoreWrites(server);
      assert.equal((await fetch(`${base}/healthz`)).status, 200, 'the health check recovers by itself');
      assert.equal((await signUp()).status, 200, 'sign-ups work again');
    });
  });
}

// SQLite: the database lives on a 16 MiB tmpfs that only the server's mount namespace sees; the test
// reaches it through /proc/<pid>/root. Root (or unprivileged user namespaces) is needed for the mount.
{
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-full-'));
  const mount = join(dir, 'data');
  mkdirSync(mount);
  const file = join(mount, 'gatehouse.db');
  const inServer = (server: CliProcess, path: string) => `/proc/${server.child.pid}/root${path}`;
  const filler = join(mount, 'filler');
  after(() => rmSync(dir, { recursive: true, force: true }));
  storageSuite(
    'a full disk on SQLite',
    () => `sqlite:${file}`,
    {
      async breakWrites(server) {
        // Empty the WAL first (it would otherwise be reused in place), then fill the file system. SQLite
        // resolves /proc/<pid>/root as a symbolic link, so the checkpoint runs inside the server's namespace.
        const checkpoint =
          `const db = new (require(${JSON.stringify(require.resolve('better-sqlite3'))}))(${JSON.stringify(file)});` +
          `const [r] = db.pragma('wal_checkpoint(TRUNCATE)'); if (r.busy || r.log !== 0) throw new Error(JSON.stringify(r));`;
        execFileSync('nsenter', ['-t', String(server.child.pid), '-m', process.execPath, '-e', checkpoint]);
        const fd = openSync(inServer(server, filler), 'w');
        const chunk = Buffer.alloc(64 * 1024);
        try {
          for (;;) writeSync(fd, chunk);
        } catch (error) {
          assert.equal((error as NodeJS.ErrnoException).code, 'ENOSPC');
        } finally {
          closeSync(fd);
        }
      },
      async restoreWrites(server) {
        rmSync(inServer(server, filler));
      },
    },
    () => [
      'unshare',
      ...(process.getuid?.() === 0 ? ['-m'] : ['-r', '-m']),
      '--',
      'sh',
      '-c',
      'mount -t tmpfs -o size=16m gatehouse-test "$0" && exec "$@"',
      mount,
    ],
  );
}

const postgres = databaseKinds.find((kind) => kind.name === 'PostgreSQL')!;
describe('a read-only PostgreSQL database', { skip: postgres.skip }, () => {
  let url = '';
  let drop = async () => {};
  before(async () => {
    ({ url, drop } = await postgres.create());
  });
  after(() => drop());

  /** Sets default_transaction_read_only for new sessions and ends the server's, so its pool reconnects. */
  async function setReadOnly(on: boolean) {
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    try {
      // This session must write even while the database's default is read-only.
      await admin.query('set default_transaction_read_only = off');
      const name = new URL(url).pathname.slice(1);
      await admin.query(
        `alter database ${name} ${on ? 'set default_transaction_read_only = on' : 'reset default_transaction_read_only'}`,
      );
      const others = 'select pid from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()';
      await admin.query(`select pg_terminate_backend(pid) from (${others}) s`, [name]);
      for (let i = 0; i < 200 && (await admin.query(others, [name])).rowCount! > 0; i++)
        await new Promise((r) => setTimeout(r, 50));
    } finally {
      await admin.end();
    }
  }

  storageSuite(
    'read-only',
    () => url,
    { breakWrites: () => setReadOnly(true), restoreWrites: () => setReadOnly(false) },
    () => undefined,
  );
});
