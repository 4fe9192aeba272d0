// The Management API end to end, on `gatehouse start` run as a user runs it (the real CLI in a child process,
// GATEHOUSE_WORKERS=2) and driven by the auth0 SDK's ManagementClient: an API, a machine-to-machine client and
// its grant created through the API give tokens at once on both workers; a user and a role with an RBAC API's
// permissions created through the API sign in through Universal Login and get the role's permissions; a block
// refuses the login page and an unblock allows it again; a rotated secret works and the old one fails at once
// on both workers; and a second `gatehouse start` on the same database sees the first one's writes within 5 s.
// Which worker answered each request is read from the request log lines (their pid); each batch of requests
// comes from a loopback address of its own, so its lines are told apart from any other request's.
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { after, before, test } from 'node:test';
import type { ManagementClient } from 'auth0';
import { createLocalJWKSet, type JSONWebKeySet, jwtVerify } from 'jose';
import { type CliProcess, childrenOf, killAllStartedChildren, spawnCli, waitFor } from '../helpers/cli.js';
import { forEachDatabase } from '../helpers/each-database.js';
import { CALLBACK, DB, tenant, WEB_SECRET, webClient } from '../helpers/fixtures.js';
import {
  basicAuth,
  CookieJarClient,
  type Endpoint,
  openLogin,
  pkcePair,
  postToken,
  signIn,
  submitLogin,
} from '../helpers/http-client.js';
import { adminEnv, managementClient, managementToken } from '../helpers/admin-api.js';
import { freePort, TEST_SECRET, writeTenantFile } from '../helpers/server.js';

const ORDERS = 'https://orders.e2e.test';
const REPORTS = 'https://reports.e2e.test';
const SECOND = 'https://second.e2e.test';
const PASSWORD = 'Granite-River-58';
/** Token requests sent after a write, each on a connection of its own: round-robin spreads them over both workers. */
const FRESH_REQUESTS = 20;

interface Answer {
  status: number;
  body: Record<string, unknown>;
}

/** A `gatehouse start` child and what the login helpers need of it. */
interface Instance extends Endpoint {
  cli: CliProcess;
  port: number;
}

/** Starts `gatehouse start` on a free port; resolves once its banner says it listens. */
async function startInstance(env: Record<string, string>, workers: number): Promise<Instance> {
  const port = await freePort();
  const issuer = `http://127.0.0.1:${port}/`;
  const cli = spawnCli(['start'], {
    GATEHOUSE_PORT: String(port),
    GATEHOUSE_HOST: '127.0.0.1',
    GATEHOUSE_ISSUER: issuer,
    GATEHOUSE_WORKERS: String(workers),
    GATEHOUSE_SECRET: TEST_SECRET,
    GATEHOUSE_LOG_LEVEL: 'info',
    ...env,
  });
  await cli.waitForStdout(new RegExp(`Gatehouse is listening on 127\\.0\\.0\\.1:${port} \\(${workers} workers?\\)`));
  return { cli, port, issuer, url: (path) => new URL(path, issuer).toString() };
}

/**
 * A client_credentials request on a connection of its own (no keep-alive): each one is a new accept. `from`: the
 * loopback address it is sent from (all of 127.0.0.0/8 reaches the server's 127.0.0.1).
 */
function freshTokenRequest(port: number, form: Record<string, string>, from = '127.0.0.1'): Promise<Answer> {
  const body = new URLSearchParams(form).toString();
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path: '/oauth/token',
        method: 'POST',
        localAddress: from,
        agent: false,
        headers: {
          connection: 'close',
          'content-type': 'application/x-www-form-urlencoded',
          'content-length': Buffer.byteLength(body),
        },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
        res.on('end', () => resolve({ status: res.statusCode!, body: JSON.parse(text) }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** The request log lines for /oauth/token from this address printed so far by an instance's workers. */
function tokenLogLines(instance: Instance, from: string): Array<{ pid: number; status: number }> {
  return instance.cli
    .stdout()
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>)
    .filter((line) => {
      const req = line.req as { url?: string; remoteAddress?: string } | undefined;
      return line.msg === 'request' && req?.url === '/oauth/token' && req.remoteAddress === from;
    })
    .map((line) => ({ pid: line.pid as number, status: line.status as number }));
}

/**
 * Sends FRESH_REQUESTS client_credentials requests from `from` (an address no other request uses), each on a new
 * connection, and returns their answers and what the workers logged of them: which pids answered, with what status.
 */
async function onFreshConnections(instance: Instance, form: Record<string, string>, from: string) {
  const answers: Answer[] = [];
  for (let i = 0; i < FRESH_REQUESTS; i++) answers.push(await freshTokenRequest(instance.port, form, from));
  // A worker writes its log line after the answer: wait for all of them.
  const lines = await waitFor(`${FRESH_REQUESTS} request log lines from ${from}`, () => {
    const found = tokenLogLines(instance, from);
    return found.length >= FRESH_REQUESTS && found;
  });
  assert.equal(lines.length, FRESH_REQUESTS);
  return { answers, pids: new Set(lines.map((line) => line.pid)), statuses: lines.map((line) => line.status) };
}

forEachDatabase('the Management API end to end: `gatehouse start` with 2 workers, and a second instance', (db) => {
  let first: Instance;
  let second: Instance;
  let workers: number[];
  let admin: ManagementClient;
  // Shared by the tests in order: the machine-to-machine client, its secret, and the user.
  let m2mId: string;
  let m2mSecret: string;
  let userId: string;
  const email = 'e2e-user@acme.test';

  const webParams = () => {
    const pkce = pkcePair();
    const params = {
      client_id: 'web',
      redirect_uri: CALLBACK,
      response_type: 'code',
      scope: 'openid read:reports export:reports',
      audience: REPORTS,
      code_challenge: pkce.challenge,
      code_challenge_method: 'S256',
    };
    return { params, verifier: pkce.verifier };
  };
  const verify = async (instance: Instance, token: string, audience: string) => {
    const jwks = (await (await fetch(instance.url('/.well-known/jwks.json'))).json()) as JSONWebKeySet;
    return (await jwtVerify(token, createLocalJWKSet(jwks), { issuer: instance.issuer, audience })).payload;
  };

  before(async () => {
    const tenantFile = writeTenantFile(
      tenant({
        clients: [webClient()],
        resource_servers: [],
        users: [],
        connections: [{ name: DB, strategy: 'auth0', enabled_clients: ['web'] }],
      }),
    );
    first = await startInstance({ ...adminEnv, GATEHOUSE_DATABASE_URL: db().url, GATEHOUSE_BOOTSTRAP: tenantFile }, 2);
    workers = childrenOf(first.cli.child.pid!);
    assert.equal(workers.length, 2, `workers: ${workers.join(', ')}`);
    // The second instance serves what the database holds: no tenant file, so it cannot undo the first's writes.
    second = await startInstance({ GATEHOUSE_DATABASE_URL: db().url }, 1);
    admin = managementClient(first, await managementToken(first));
  });
  after(async () => {
    // SIGTERM first (a clean exit closes the database), SIGKILL to every process group left after 10 s.
    const timer = setTimeout(killAllStartedChildren, 10_000);
    await Promise.all([first, second].map((instance) => instance?.cli.stop()));
    clearTimeout(timer);
    killAllStartedChildren();
  });

  test('an API, a machine-to-machine client and its grant created through the API give tokens at once on both workers', async () => {
    await admin.resourceServers.create({
      identifier: ORDERS,
      name: 'Orders',
      scopes: [{ value: 'read:orders' }, { value: 'write:orders' }],
    });
    const client = await admin.clients.create({
      name: 'E2E machine',
      app_type: 'non_interactive',
      grant_types: ['client_credentials'],
      token_endpoint_auth_method: 'client_secret_post',
    });
    m2mId = client.client_id!;
    m2mSecret = client.client_secret!;
    await admin.clientGrants.create({ client_id: m2mId, audience: ORDERS, scope: ['read:orders'] });

    const form = { grant_type: 'client_credentials', client_id: m2mId, client_secret: m2mSecret, audience: ORDERS };
    const { answers, pids, statuses } = await onFreshConnections(first, form, '127.0.0.11');
    for (const answer of answers) {
      assert.equal(answer.status, 200, JSON.stringify(answer.body));
      assert.equal(answer.body.scope, 'read:orders');
    }
    assert.deepEqual(statuses, Array(FRESH_REQUESTS).fill(200));
    assert.deepEqual([...pids].sort(), [...workers].sort(), 'both workers answered');
    const payload = await verify(first, answers[0].body.access_token as string, ORDERS);
    assert.equal(payload.sub, `${m2mId}@clients`);
  });

  test('a user given a role with an RBAC API’s permissions through the API signs in and gets them', async () => {
    await admin.resourceServers.create({
      identifier: REPORTS,
      name: 'Reports',
      enforce_policies: true,
      token_dialect: 'access_token_authz',
      scopes: [{ value: 'read:reports' }, { value: 'export:reports' }, { value: 'delete:reports' }],
    });
    const user = await admin.users.create({ connection: DB, email, password: PASSWORD, email_verified: true });
    userId = user.user_id!;
    const role = await admin.roles.create({ name: 'Report reader' });
    const perm = (name: string) => ({ resource_server_identifier: REPORTS, permission_name: name });
    await admin.roles.permissions.add(role.id!, { permissions: [perm('read:reports'), perm('export:reports')] });
    await admin.users.roles.assign(userId, { roles: [role.id!] });

    const { params, verifier } = webParams();
    const callback = await signIn(new CookieJarClient(first), params, email, PASSWORD);
    const answer = await postToken(
      first,
      {
        grant_type: 'authorization_code',
        code: callback.searchParams.get('code') ?? '',
        redirect_uri: CALLBACK,
        code_verifier: verifier,
      },
      { authorization: basicAuth('web', WEB_SECRET) },
    );
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    const payload = await verify(first, answer.body.access_token as string, REPORTS);
    assert.equal(payload.sub, userId);
    assert.deepEqual([...(payload.permissions as string[])].sort(), ['export:reports', 'read:reports']);
  });

  test('a user blocked through the API cannot sign in; unblocked, can again', async () => {
    const attempt = async () => {
      const browser = new CookieJarClient(first);
      const { form } = await openLogin(browser, webParams().params);
      return submitLogin(browser, form, email, PASSWORD);
    };
    assert.equal((await admin.users.update(userId, { blocked: true })).blocked, true);
    // Two attempts, each from a browser of its own: users are read from the database, never from a cache.
    for (let i = 0; i < 2; i++) {
      const refused = await attempt();
      assert.equal(refused.status, 401, refused.text);
      assert.match(refused.text, /This account is blocked/);
    }
    await admin.users.update(userId, { blocked: false });
    const allowed = await attempt();
    assert.equal(allowed.status, 303, allowed.text);
    assert.match(allowed.location ?? '', /^\/authorize\/resume\?state=/);
  });

  test('a secret rotated through the API works at once, and the old one fails at once, on both workers', async () => {
    const old = m2mSecret;
    const form = (secret: string) => ({
      grant_type: 'client_credentials',
      client_id: m2mId,
      client_secret: secret,
      audience: ORDERS,
    });
    // Both workers hold the client, with its old secret, in their caches before the rotation.
    const warm = await onFreshConnections(first, form(old), '127.0.0.14');
    assert.deepEqual(warm.statuses, Array(FRESH_REQUESTS).fill(200));
    assert.deepEqual([...warm.pids].sort(), [...workers].sort(), 'both workers used the old secret');

    m2mSecret = (await admin.clients.rotateSecret(m2mId)).client_secret!;
    assert.notEqual(m2mSecret, old);

    const fresh = await onFreshConnections(first, form(m2mSecret), '127.0.0.12');
    for (const answer of fresh.answers) assert.equal(answer.status, 200, JSON.stringify(answer.body));
    assert.deepEqual(fresh.statuses, Array(FRESH_REQUESTS).fill(200));
    assert.deepEqual([...fresh.pids].sort(), [...workers].sort(), 'both workers took the new secret');

    const stale = await onFreshConnections(first, form(old), '127.0.0.13');
    for (const answer of stale.answers) {
      assert.equal(answer.status, 401, JSON.stringify(answer.body));
      assert.equal(answer.body.error, 'invalid_client');
    }
    assert.deepEqual(stale.statuses, Array(FRESH_REQUESTS).fill(401));
    assert.deepEqual([...stale.pids].sort(), [...workers].sort(), 'both workers refused the old secret');
  });

  test('a second instance on the same database sees a new grant and a deleted client within 5 s', async () => {
    const form = (audience: string) => ({
      grant_type: 'client_credentials',
      client_id: m2mId,
      client_secret: m2mSecret,
      audience,
    });
    // The second instance knows the client (it is in its cache now) and refuses an audience not granted yet.
    assert.equal((await freshTokenRequest(second.port, form(ORDERS))).status, 200);
    await admin.resourceServers.create({ identifier: SECOND, name: 'Second', scopes: [{ value: 'read:second' }] });
    const before = await freshTokenRequest(second.port, form(SECOND));
    assert.equal(before.status, 403, JSON.stringify(before.body));

    await admin.clientGrants.create({ client_id: m2mId, audience: SECOND, scope: ['read:second'] });
    const granted = await waitFor(
      'the grant on the second instance',
      async () => {
        const answer = await freshTokenRequest(second.port, form(SECOND));
        return answer.status === 200 && answer;
      },
      5000,
    );
    assert.equal(granted.body.scope, 'read:second');
    const payload = await verify(second, granted.body.access_token as string, SECOND);
    assert.equal(payload.iss, second.issuer);

    // Past the second instance's next comparison of the change counters (at most once a second), so that it
    // holds the client in its cache again and only the deletion's own counter bump can make it drop it.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    assert.equal((await freshTokenRequest(second.port, form(ORDERS))).status, 200);
    await admin.clients.delete(m2mId);
    const refused = await waitFor(
      'the deletion on the second instance',
      async () => {
        const answer = await freshTokenRequest(second.port, form(ORDERS));
        return answer.status !== 200 && answer;
      },
      5000,
    );
    assert.equal(refused.status, 401, JSON.stringify(refused.body));
    assert.equal(refused.body.error, 'invalid_client');
  });
});
