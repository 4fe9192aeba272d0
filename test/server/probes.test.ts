// /readyz answers as /healthz does (200 only when this instance can serve: its database answers), /livez 200
// while the process runs, without touching the database: a load balancer takes an instance whose PostgreSQL is
// unreachable out of rotation (/readyz 503) and an orchestrator does not restart it for that (/livez 200).
// The database is made unreachable by refusing new connections to it and ending the open ones.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import pg from 'pg';
import { forEachDatabase } from '../helpers/each-database.js';
import { waitFor } from '../helpers/cli.js';
import { type RunningGatehouse, startGatehouse } from '../helpers/server.js';

async function status(server: RunningGatehouse, path: string) {
  const answer = await fetch(server.url(path));
  return { status: answer.status, body: (await answer.json()) as Record<string, unknown> };
}

forEachDatabase('/readyz and /livez', (db, kind) => {
  let server: RunningGatehouse;
  before(async () => {
    server = await startGatehouse({ databaseUrl: db().url });
  });
  after(() => server?.close());

  test('both 200 while the database answers', async () => {
    assert.deepEqual(await status(server, '/readyz'), { status: 200, body: { status: 'ok' } });
    assert.deepEqual(await status(server, '/livez'), { status: 200, body: { status: 'ok' } });
  });

  test('database unreachable: /readyz 503 like /healthz, /livez still 200; back to 200 when it returns', {
    skip: kind.name !== 'PostgreSQL' && 'the fault is made on a PostgreSQL database',
  }, async () => {
    const name = new URL(db().url).pathname.slice(1);
    // Connected to the suite runner's database: a database cannot refuse connections while connected to itself.
    const admin = new pg.Client({ connectionString: process.env.GATEHOUSE_TEST_PG_URL });
    await admin.connect();
    try {
      await admin.query(`alter database "${name}" allow_connections false`);
      await admin.query('select pg_terminate_backend(pid) from pg_stat_activity where datname = $1', [name]);
      const ready = await waitFor('/readyz 503', async () => {
        const answer = await status(server, '/readyz');
        return answer.status === 503 && answer;
      });
      assert.deepEqual(ready.body, { status: 'unavailable', reason: 'database unreachable' });
      assert.equal((await status(server, '/healthz')).status, 503);
      assert.deepEqual(await status(server, '/livez'), { status: 200, body: { status: 'ok' } });
    } finally {
      await admin.query(`alter database "${name}" allow_connections true`);
      await admin.end();
    }
    await waitFor('/readyz 200 again', async () => (await status(server, '/readyz')).status === 200, 20_000);
  });
});
