// An operator starts Gatehouse: `gatehouse start` on an empty database prints a development client
// whose curl line works as printed, keeps its generated master secret beside the SQLite file, refuses a
// wrong secret, stops on SIGTERM, never logs a secret; an operator's admin client reaches the Management
// API audience; several instances may start at once on one database.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, test } from 'node:test';
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { managementScopes } from '../../src/tenant-file/scopes.js';
import { signingAlgs } from '../../src/protocol/keys/keyring.js';
import { migrationProvider } from '../../src/store/migrations/index.js';
import { type CliProcess, killAllStartedChildren, repoRoot, runCli, spawnCli } from '../helpers/cli.js';
import { forEachDatabase } from '../helpers/each-database.js';
import { API } from '../helpers/fixtures.js';
import { freePort, type RunningGatehouse, startGatehouse, TEST_SECRET } from '../helpers/server.js';
import { snapshotDatabase } from '../helpers/snapshot.js';

const run = promisify(execFile);

after(killAllStartedChildren);

describe('gatehouse start on an empty SQLite database, with no GATEHOUSE_SECRET', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-start-'));
  const databaseUrl = `sqlite:${join(dir, 'data', 'gatehouse.db')}`;
  const secretFile = join(dir, 'data', 'gatehouse.secret');
  let port: number;
  let first: CliProcess;
  let banner: string;
  let devSecret: string;
  let devClientId: string;
  const env = () => ({ GATEHOUSE_PORT: String(port), GATEHOUSE_DATABASE_URL: databaseUrl, GATEHOUSE_WORKERS: '2' });

  before(async () => {
    port = await freePort();
    first = spawnCli(['start'], env());
    await first.waitForStdout(/Get an access token:\n.*curl .*\n\n/);
    banner = first.stdout();
  });
  after(() => {
    killAllStartedChildren();
    rmSync(dir, { recursive: true, force: true });
  });

  test('prints an /authorize URL that opens the hosted login page, with sign-up open', async () => {
    const match = /^ {2}(http:\/\/localhost:\d+\/authorize\?\S+)$/m.exec(banner);
    assert.ok(match, banner);
    const url = new URL(match[1].replace('localhost', '127.0.0.1'));
    assert.equal(url.searchParams.get('redirect_uri'), 'http://localhost:8080/callback');
    assert.match(banner, new RegExp(`web app client_id: +${url.searchParams.get('client_id')}\n`));
    assert.match(banner, /web app client_secret: +\S{43}\n/);
    const authorize = await fetch(url, { redirect: 'manual' });
    assert.equal(authorize.status, 302);
    const login = new URL(authorize.headers.get('location')!, url);
    assert.equal(login.pathname, '/u/login');
    const page = await fetch(login);
    assert.equal(page.status, 200);
    const html = await page.text();
    assert.match(html, /Email address/);
    assert.match(html, />Sign up</);
  });

  test('prints the issuer and a development client with a curl line that works as printed', async () => {
    const issuer = `http://localhost:${port}/`;
    assert.match(banner, new RegExp(`\\n  issuer: +${issuer.replaceAll('.', '\\.')}\\n`));
    const curl = /^ {2}(curl -s -u '([^:']+):([^']+)' -d grant_type=client_credentials -d audience=(\S+) (\S+))$/m.exec(
      banner,
    );
    assert.ok(curl, banner);
    const [, line, clientId, secret, audience, tokenUrl] = curl;
    [devClientId, devSecret] = [clientId, secret];
    assert.equal(tokenUrl, `${issuer}oauth/token`);
    assert.match(banner, new RegExp(`client_id: +${clientId}\\n`));
    assert.match(banner, new RegExp(`audience: +${audience.replaceAll('.', '\\.')}\\n`));
    assert.ok(secret.length >= 32, 'generated secrets are 32 random bytes');

    // Exactly what a user would paste: run the printed line through a shell when curl is installed.
    let body: Record<string, unknown>;
    if (
      await run('curl', ['--version']).then(
        () => true,
        () => false,
      )
    ) {
      const { stdout } = await run('sh', ['-c', line]);
      body = JSON.parse(stdout);
    } else {
      const response = await fetch(tokenUrl, {
        method: 'POST',
        headers: { authorization: `Basic ${Buffer.from(`${clientId}:${secret}`).toString('base64')}` },
        body: new URLSearchParams({ grant_type: 'client_credentials', audience }),
      });
      body = await response.json();
    }
    assert.equal(body.token_type, 'Bearer', JSON.stringify(body));
    assert.equal(body.expires_in, 86400);
    assert.equal(body.scope, 'read:items write:items');
    const jwks = createRemoteJWKSet(new URL(`http://127.0.0.1:${port}/.well-known/jwks.json`));
    const { payload } = await jwtVerify(body.access_token as string, jwks, { issuer, audience });
    assert.equal(payload.sub, `${clientId}@clients`);
    assert.equal(payload.scope, 'read:items write:items');
  });

  test('GET /healthz answers 200', async () => {
    const response = await fetch(`http://127.0.0.1:${port}/healthz`);
    assert.equal(response.status, 200);
    assert.deepEqual(await response.json(), { status: 'ok' });
  });

  test('the generated master secret is kept beside the database file, readable by its owner only', () => {
    const stat = statSync(secretFile);
    assert.equal(stat.mode & 0o777, 0o600);
    const secret = readFileSync(secretFile, 'utf8').trim();
    assert.ok(secret.length >= 32);
    // The start warns where it is (a log line), and never prints the secret itself.
    const warning = first
      .stdout()
      .split('\n')
      .find((l) => l.includes('"level":40'));
    assert.ok(warning?.includes(secretFile), first.stdout());
    assert.ok(!first.stdout().includes(secret));
    assert.ok(!first.stderr().includes(secret));
  });

  test('SIGTERM stops it with exit code 0', async () => {
    assert.deepEqual(await first.stop('SIGTERM'), { code: 0, signal: null });
  });

  test('a second start on the same database prints the issuer and no secret; the development client still works', async () => {
    const second = spawnCli(['start'], env());
    try {
      await second.waitForStdout(/discovery: .*\n\n/);
      const out = second.stdout();
      assert.match(out, /issuer: +http:\/\/localhost:\d+\//);
      assert.ok(!out.includes(devSecret));
      assert.doesNotMatch(out, /client_secret|curl /);
      const response = await fetch(`http://127.0.0.1:${port}/oauth/token`, {
        method: 'POST',
        headers: { authorization: `Basic ${Buffer.from(`${devClientId}:${devSecret}`).toString('base64')}` },
        body: new URLSearchParams({ grant_type: 'client_credentials', audience: 'https://api.example.com' }),
      });
      assert.equal(response.status, 200);
    } finally {
      assert.deepEqual(await second.stop('SIGTERM'), { code: 0, signal: null });
    }
  });

  test('a different GATEHOUSE_SECRET stops the start with a clear message and creates no keys', async () => {
    const keysBefore = await snapshotDatabase(databaseUrl, ['signing_keys']);
    assert.equal(keysBefore.signing_keys.length, 2 * signingAlgs.length);
    const secretBefore = readFileSync(secretFile, 'utf8');
    const result = await runCli(['start'], {
      ...env(),
      GATEHOUSE_SECRET: 'a-different-secret-0123456789-abcdefghijkl',
    });
    assert.equal(result.code, 1);
    assert.equal(
      result.stderr,
      'gatehouse: GATEHOUSE_SECRET cannot decrypt the signing keys stored in this database. Start with the secret ' +
        'the database was created with; Gatehouse never replaces existing keys.\n',
    );
    assert.doesNotMatch(result.stdout, /listening/);
    assert.deepEqual(await snapshotDatabase(databaseUrl, ['signing_keys']), keysBefore);
    assert.equal(readFileSync(secretFile, 'utf8'), secretBefore);
  });
});

describe('request logs never hold a secret, code or hint (GATEHOUSE_LOG_LEVEL=info)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-logs-'));
  const WORKER_SECRET = 'acme-worker-secret-change-me-0123456789abc';
  const WRONG_SECRET = 'wrong-secret-that-must-not-be-logged-0123456789';
  const CODE = 'code-value-7f3a9c';
  const HINT = 'hint-value-5e21bd';
  let port: number;
  let server: CliProcess;
  let log = '';
  let accessToken = '';

  before(async () => {
    port = await freePort();
    server = spawnCli(['start'], {
      GATEHOUSE_PORT: String(port),
      GATEHOUSE_DATABASE_URL: `sqlite:${join(dir, 'gatehouse.db')}`,
      GATEHOUSE_SECRET: TEST_SECRET,
      GATEHOUSE_BOOTSTRAP: join(repoRoot, 'docs/examples/tenant.json'),
      GATEHOUSE_LOG_LEVEL: 'info',
      GATEHOUSE_WORKERS: '2',
    });
    await server.waitForStdout(/discovery: .*\n\n/);
    const base = `http://127.0.0.1:${port}`;
    const token = (body: BodyInit, headers: Record<string, string> = {}) =>
      fetch(`${base}/oauth/token`, { method: 'POST', body, headers });
    const issued = await token(
      new URLSearchParams({
        grant_type: 'client_credentials',
        client_id: 'acme-worker',
        client_secret: WORKER_SECRET,
        audience: API,
      }),
    );
    assert.equal(issued.status, 200);
    accessToken = (await issued.json()).access_token;
    assert.equal(
      (
        await token(
          new URLSearchParams({
            grant_type: 'client_credentials',
            client_id: 'acme-worker',
            client_secret: WRONG_SECRET,
          }),
        )
      ).status,
      401,
    );
    assert.equal(
      (
        await token(
          JSON.stringify({ grant_type: 'client_credentials', client_id: 'acme-worker', client_secret: WRONG_SECRET }),
          { 'content-type': 'application/json' },
        )
      ).status,
      401,
    );
    assert.equal(
      (
        await token(new URLSearchParams({ grant_type: 'client_credentials' }), {
          authorization: `Basic ${Buffer.from(`acme-worker:${WRONG_SECRET}`).toString('base64')}`,
        })
      ).status,
      401,
    );
    assert.equal((await fetch(`${base}/.well-known/openid-configuration?code=${CODE}&login_hint=${HINT}`)).status, 200);
    await fetch(`${base}/authorize?client_id=acme-web&code=${CODE}&login_hint=${HINT}`);
    await fetch(`${base}/oauth/token?code=${CODE}&login_hint=${HINT}`);
    assert.equal((await fetch(`${base}/no-such-page?code=${CODE}&login_hint=${HINT}`)).status, 404);
    assert.deepEqual(await server.stop('SIGTERM'), { code: 0, signal: null });
    log = server.stdout() + server.stderr();
  });
  after(() => {
    killAllStartedChildren();
    rmSync(dir, { recursive: true, force: true });
  });

  test('each request was logged, with the sensitive query parameters redacted', () => {
    const requests = log.split('\n').filter((line) => line.includes('"req":{'));
    assert.equal(requests.length, 8, log);
    // Each line names its request: a request id, different for every request.
    const ids = requests.map((line) => (JSON.parse(line) as { reqId?: unknown }).reqId);
    assert.ok(
      ids.every((id) => typeof id === 'string' && /^[0-9a-f-]{36}$/.test(id)),
      log,
    );
    assert.equal(new Set(ids).size, ids.length, log);
    assert.ok(
      requests.some((line) =>
        line.includes('/.well-known/openid-configuration?code=%5Bredacted%5D&login_hint=%5Bredacted%5D'),
      ),
      log,
    );
  });

  const secrets: [string, () => string][] = [
    ['the client secret', () => WORKER_SECRET],
    ['a wrong client secret', () => WRONG_SECRET],
    ['the master secret', () => TEST_SECRET],
    ['the issued access token', () => accessToken],
    ['the code', () => CODE],
    ['the login_hint', () => HINT],
  ];
  for (const [name, value] of secrets) {
    test(`the log does not contain ${name}`, () => {
      assert.ok(value().length > 10);
      const line = log.split('\n').find((l) => l.includes(value()));
      assert.equal(line, undefined, `leaked in: ${line}`);
    });
  }
});

forEachDatabase('GATEHOUSE_ADMIN_CLIENT_ID / _SECRET', (db) => {
  const ADMIN_ID = 'gatehouse-admin';
  const ADMIN_SECRET = 'admin-secret-0123456789-abcdefghijklmnopqrstuv';
  let issuer: string;
  let server: RunningGatehouse | undefined;
  /** Each start listens on a fresh port (no keep-alive socket to the last one), under the same issuer. */
  async function start(secret: string): Promise<RunningGatehouse> {
    await server?.close();
    server = await startGatehouse({
      databaseUrl: db().url,
      env: { GATEHOUSE_ISSUER: issuer, GATEHOUSE_ADMIN_CLIENT_ID: ADMIN_ID, GATEHOUSE_ADMIN_CLIENT_SECRET: secret },
    });
    return server;
  }
  const tokenUrl = () =>
    `http://127.0.0.1:${(server!.gatehouse.app.server.address() as { port: number }).port}/oauth/token`;
  before(async () => {
    issuer = `http://127.0.0.1:${await freePort()}/`;
    await start(ADMIN_SECRET);
  });
  after(() => server?.close());

  const audience = () => `${issuer}api/v2/`;
  const requests: [string, (secret: string) => RequestInit][] = [
    [
      'client_secret_basic',
      (secret) => ({
        method: 'POST',
        headers: { authorization: `Basic ${Buffer.from(`${ADMIN_ID}:${secret}`).toString('base64')}` },
        body: new URLSearchParams({ grant_type: 'client_credentials', audience: audience() }),
      }),
    ],
    [
      'client_secret_post',
      (secret) => ({
        method: 'POST',
        body: new URLSearchParams({
          grant_type: 'client_credentials',
          client_id: ADMIN_ID,
          client_secret: secret,
          audience: audience(),
        }),
      }),
    ],
  ];
  for (const [method, request] of requests) {
    test(`the admin client gets a Management API token with every scope (${method})`, async () => {
      const response = await fetch(tokenUrl(), request(ADMIN_SECRET));
      const body = await response.json();
      assert.equal(response.status, 200, JSON.stringify(body));
      assert.deepEqual(body.scope.split(' ').sort(), [...managementScopes].sort());
      const jwks = createRemoteJWKSet(new URL(tokenUrl().replace('oauth/token', '.well-known/jwks.json')));
      const { payload } = await jwtVerify(body.access_token, jwks, { issuer, audience: audience() });
      assert.equal(payload.sub, `${ADMIN_ID}@clients`);
      assert.equal(payload.gty, 'client-credentials');
      assert.deepEqual((payload.scope as string).split(' ').sort(), [...managementScopes].sort());
    });
  }

  test('a start with a new admin secret replaces the old one', async () => {
    const NEW_SECRET = 'admin-secret-rotated-0123456789-abcdefghijklmn';
    await start(NEW_SECRET);
    for (const [, request] of requests) {
      const old = await fetch(tokenUrl(), request(ADMIN_SECRET));
      assert.equal(old.status, 401);
      assert.equal((await old.json()).error, 'invalid_client');
      assert.equal((await fetch(tokenUrl(), request(NEW_SECRET))).status, 200);
    }
  });
});

forEachDatabase('two instances starting at once on one fresh database', (db, kind) => {
  let servers: RunningGatehouse[] = [];
  let children: CliProcess[] = [];
  after(async () => {
    await Promise.all(servers.map((s) => s.close()));
    await Promise.all(children.map((c) => c.stop('SIGKILL')));
  });

  test('both come up, migrate once, and share one current and one next key per algorithm', async () => {
    // One issuer for both, as behind a load balancer.
    const issuer = `http://127.0.0.1:${await freePort()}/`;
    let bases: string[];
    let dev: { client_id: string; client_secret: string; audience: string; web_client_id: string };
    if (kind.name === 'PostgreSQL') {
      // Two apps in this process, built at once over their own connection pools.
      const started = await Promise.allSettled(
        [0, 1].map(() => startGatehouse({ databaseUrl: db().url, env: { GATEHOUSE_ISSUER: issuer } })),
      );
      servers = started.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
      for (const s of started) if (s.status === 'rejected') throw s.reason;
      bases = servers.map((s) => `http://127.0.0.1:${(s.gatehouse.app.server.address() as { port: number }).port}`);
      const created = servers.filter((s) => s.gatehouse.developmentTenant);
      assert.equal(created.length, 1, 'exactly one instance created the development client');
      const tenant = created[0].gatehouse.developmentTenant!;
      dev = { ...tenant, web_client_id: tenant.web.client_id };
    } else {
      // better-sqlite3 is synchronous: two connections in one process would block each other's event
      // loop on the file lock. Instances sharing a SQLite file are processes, so start two processes.
      const ports = [await freePort(), await freePort()];
      children = ports.map((port) =>
        spawnCli(['start'], {
          GATEHOUSE_PORT: String(port),
          GATEHOUSE_ISSUER: issuer,
          GATEHOUSE_DATABASE_URL: db().url,
          GATEHOUSE_SECRET: TEST_SECRET,
          GATEHOUSE_WORKERS: '1',
        }),
      );
      await Promise.all(children.map((c) => c.waitForStdout(/discovery: .*\n\n/)));
      bases = ports.map((port) => `http://127.0.0.1:${port}`);
      const banners = children.map((c) => c.stdout()).filter((out) => out.includes('client_secret:'));
      assert.equal(banners.length, 1, 'exactly one instance created (and printed) the development client');
      const field = (name: string) => new RegExp(`^  ${name}: +(\\S+)`, 'm').exec(banners[0])![1];
      dev = {
        client_id: field('client_id'),
        client_secret: field('client_secret'),
        audience: field('audience'),
        web_client_id: field('web app client_id'),
      };
    }
    for (const base of bases) assert.equal((await fetch(`${base}/healthz`)).status, 200);

    const rows = await snapshotDatabase(db().url, ['kysely_migration', 'signing_keys', 'clients', 'resource_servers']);
    assert.deepEqual(
      // The snapshot sorts rows as JSON text (row 10 before row 2): compare the names in their own order.
      rows.kysely_migration.map((m) => m.name as string).sort(),
      Object.keys(await migrationProvider.getMigrations()).sort(),
    );
    for (const alg of signingAlgs) {
      const statuses = rows.signing_keys
        .filter((k) => k.alg === alg)
        .map((k) => k.status)
        .sort();
      assert.deepEqual(statuses, ['current', 'next'], alg);
    }
    assert.equal(rows.signing_keys.length, 2 * signingAlgs.length);
    // One Management API, and one set of development clients.
    assert.deepEqual(
      rows.resource_servers.map((r) => r.identifier).sort(),
      [`${issuer}api/v2/`, 'https://api.example.com'].sort(),
    );
    assert.deepEqual(rows.clients.map((c) => c.client_id).sort(), [dev.client_id, dev.web_client_id].sort());

    // Both serve the same keys and the same tenant.
    const jwks = await Promise.all(bases.map(async (base) => (await fetch(`${base}/.well-known/jwks.json`)).json()));
    assert.deepEqual(jwks[0], jwks[1]);
    for (const base of bases) {
      const response = await fetch(`${base}/oauth/token`, {
        method: 'POST',
        headers: { authorization: `Basic ${Buffer.from(`${dev.client_id}:${dev.client_secret}`).toString('base64')}` },
        body: new URLSearchParams({ grant_type: 'client_credentials', audience: dev.audience }),
      });
      const body = await response.json();
      assert.equal(response.status, 200, JSON.stringify(body));
      assert.ok(jwks[0].keys.some((k: { kid: string }) => k.kid === decodeProtectedHeader(body.access_token).kid));
    }
  });
});
