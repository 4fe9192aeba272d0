// A hostile client probes paths that do not exist, methods a path does not take and URLs the router cannot
// read: each answer is in the shape of the surface the path belongs to, says nothing of the framework and
// echoes nothing of the request. When the root scope fails (the signing keys cannot be read), the JWKS,
// /healthz and unknown paths answer without the driver's message, a file path or a stack; the log has the cause.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import pg from 'pg';
import SQLite from 'better-sqlite3';
import { forEachDatabase } from '../helpers/each-database.js';
import { type RunningGatehouse, startGatehouse } from '../helpers/server.js';
import { captureLogs } from '../helpers/log-capture.js';

/** A marker in every probed path and query: it must never come back. */
const MARK = 'zq7probe';

const oauthNotFound = { error: 'not_found', error_description: 'Not found' };
const managementNotFound = { statusCode: 404, error: 'Not Found', message: 'Not Found' };
const dbconnectionsNotFound = {
  name: 'NotFoundError',
  code: 'not_found',
  description: 'Not found',
  statusCode: 404,
  error: 'not_found',
  error_description: 'Not found',
};

const rows: { name: string; method: string; path: string; status: number; json?: object; page?: RegExp }[] = [
  { name: 'unknown /oauth path', method: 'GET', path: `/oauth/${MARK}?${MARK}=1`, status: 404, json: oauthNotFound },
  {
    name: 'wrong method on /userinfo',
    method: 'DELETE',
    path: `/userinfo?${MARK}=1`,
    status: 404,
    json: oauthNotFound,
  },
  { name: 'unknown /.well-known path', method: 'GET', path: `/.well-known/${MARK}`, status: 404, json: oauthNotFound },
  { name: 'wrong method on /healthz', method: 'POST', path: `/healthz?${MARK}=1`, status: 404, json: oauthNotFound },
  {
    name: 'unknown /api/v2 path',
    method: 'GET',
    path: `/api/v2/${MARK}-things?q=${MARK}`,
    status: 404,
    json: managementNotFound,
  },
  {
    name: 'wrong method on /api/v2',
    method: 'PUT',
    path: `/api/v2/clients/${MARK}`,
    status: 404,
    json: managementNotFound,
  },
  {
    name: 'unknown /dbconnections path',
    method: 'GET',
    path: `/dbconnections/${MARK}`,
    status: 404,
    json: dbconnectionsNotFound,
  },
  {
    name: 'wrong method on /dbconnections/signup',
    method: 'GET',
    path: `/dbconnections/signup?${MARK}=1`,
    status: 404,
    json: dbconnectionsNotFound,
  },
  { name: 'unknown page', method: 'GET', path: `/${MARK}?${MARK}=<b>x</b>`, status: 404, page: /Not found/ },
  { name: 'wrong method on /u/login', method: 'PUT', path: `/u/login?${MARK}=1`, status: 404, page: /Not found/ },
  { name: 'a URL the router cannot read', method: 'GET', path: `/${MARK}%`, status: 400, page: /could not be read/ },
  {
    name: 'a bad URL under /oauth',
    method: 'GET',
    path: `/oauth/${MARK}%`,
    status: 400,
    json: { error: 'invalid_request', error_description: 'The request could not be read' },
  },
];

function assertNothingLeaks(text: string) {
  assert.doesNotMatch(text, new RegExp(MARK), 'the request is echoed');
  assert.doesNotMatch(text, /FST_|fastify|Route \w+:/i, 'the framework shows');
}

forEachDatabase('unknown routes', (db) => {
  let server: RunningGatehouse;
  before(async () => {
    server = await startGatehouse({ databaseUrl: db().url });
  });
  after(() => server?.close());

  for (const row of rows) {
    test(`${row.name}: ${row.status} in the surface's shape, nothing echoed`, async () => {
      const response = await fetch(server.url('/').slice(0, -1) + row.path, { method: row.method });
      const text = await response.text();
      assert.equal(response.status, row.status, text);
      assertNothingLeaks(text);
      if (row.json) {
        assert.match(response.headers.get('content-type') ?? '', /^application\/json/);
        assert.deepEqual(JSON.parse(text), row.json);
      } else {
        assert.match(response.headers.get('content-type') ?? '', /^text\/html/);
        assert.match(text, row.page!);
      }
    });
  }
});

forEachDatabase('the signing keys cannot be read', (db, kind) => {
  let server: RunningGatehouse;
  let clock = Date.now();
  const log = captureLogs();
  before(async () => {
    server = await startGatehouse({ databaseUrl: db().url, now: () => clock, logger: log.logger });
    // Another connection takes the key table away; the server's next read of the keys fails.
    if (kind.name === 'SQLite') {
      const file = new SQLite(db().url.slice('sqlite:'.length));
      file.exec('alter table signing_keys rename to signing_keys_gone');
      file.close();
    } else {
      const client = new pg.Client({ connectionString: db().url });
      await client.connect();
      await client.query('alter table signing_keys rename to signing_keys_gone');
      await client.end();
    }
    clock += 60_000; // past the keyring's refresh interval: the next JWKS request reads the table
  });
  after(() => server?.close());

  const leaks = /signing_keys|no such table|relation "|SqliteError|DatabaseError|\/tmp\/|gatehouse\.db|\n\s+at \S+ \(/;

  test('the JWKS answers a generic 500, the health check and an unknown path no driver text; the cause is logged', async () => {
    const jwks = await fetch(server.url('/.well-known/jwks.json'));
    const body = await jwks.text();
    assert.equal(jwks.status, 500);
    assert.deepEqual(JSON.parse(body), { error: 'server_error', error_description: 'An unexpected error occurred' });
    for (const path of ['/healthz', `/${MARK}`]) {
      const response = await fetch(server.url(path));
      const text = await response.text();
      assert.doesNotMatch(text, leaks, `${path}: ${text}`);
    }
    const logged = log.lines.find((line) => line.msg === 'unexpected error');
    assert.ok(logged, JSON.stringify(log.lines));
    assert.match(JSON.stringify(logged.err), /signing_keys/);
  });
});
