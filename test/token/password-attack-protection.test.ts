// Attack protection on the password grants (RFC 6749 §4.3.2; Auth0 docs: "Brute-force protection", "Suspicious
// IP Throttling", "Avoid Common Issues with Resource Owner Password Flow and Attack Protection"), over HTTP on
// both databases, with the login page's counters: 10 failures for one e-mail from one IP block it there (429
// too_many_attempts) while another IP still signs in; 100 failed logins from one IP in a day throttle the IP, one
// attempt back every 14.4 minutes; successes are never counted. auth0-forwarded-for is believed only from a
// confidential client trusted to send it; from any other it is ignored and the caller's own address is counted.
// Requests come from several loopback addresses (Linux routes all of 127/8 to this host).
import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { after, before, test } from 'node:test';
import { forEachDatabase } from '../helpers/each-database.js';
import { type RunningGatehouse, startGatehouse } from '../helpers/server.js';
import { DB, PASSWORD, tenant, user, webClient } from '../helpers/fixtures.js';

const PASSWORD_REALM = 'http://auth0.com/oauth/grant-type/password-realm';
const SECRET = 'backend-secret-0123456789-abcdefghijklmnopqrstu';
const MINUTE = 60_000;
const WRONG = { error: 'invalid_grant', error_description: 'Wrong email or password.' };
const BLOCKED = {
  error: 'too_many_attempts',
  error_description:
    'Your account has been blocked after multiple consecutive login attempts. Reset your password or contact support.',
};
const THROTTLED = {
  error: 'too_many_attempts',
  error_description:
    'We have detected suspicious login behavior and further attempts will be blocked. Please contact the administrator.',
};

const backend = (client_id: string, overrides: Record<string, unknown> = {}) =>
  webClient({
    client_id,
    client_secret: SECRET,
    name: client_id,
    token_endpoint_auth_method: 'client_secret_post',
    grant_types: ['password', PASSWORD_REALM],
    callbacks: [],
    ...overrides,
  });

interface Answer {
  status: number;
  body: Record<string, unknown>;
}

/** POST /oauth/token from a loopback address of our choice, as the client `clientId`. */
function tokenFrom(
  server: RunningGatehouse,
  localAddress: string,
  params: Record<string, string>,
  headers: Record<string, string> = {},
): Promise<Answer> {
  const body = new URLSearchParams({ client_secret: SECRET, grant_type: PASSWORD_REALM, realm: DB, ...params });
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      server.url('/oauth/token'),
      { method: 'POST', localAddress, headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers } },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk) => (text += chunk));
        res.on('end', () => resolve({ status: res.statusCode!, body: JSON.parse(text) }));
      },
    );
    req.on('error', reject);
    req.end(body.toString());
  });
}

const signIn = (server: RunningGatehouse, from: string, email: string, password: string, extra = {}, headers = {}) =>
  tokenFrom(server, from, { client_id: 'backend', username: email, password, ...extra }, headers);

forEachDatabase('attack protection on the password grants', (db) => {
  let server: RunningGatehouse;
  let clock = Date.parse('2026-12-07T08:00:00Z');
  before(async () => {
    server = await startGatehouse({
      databaseUrl: db().url,
      now: () => clock,
      tenant: tenant({
        resource_servers: [],
        clients: [backend('backend'), backend('proxy', { is_token_endpoint_ip_header_trusted: true })],
        users: ['alice', 'bob', 'carol', 'dave', 'erin'].map((name) => user(name, { user_id: name })),
      }),
    });
  });
  after(() => server?.close());

  test('10 failures for one e-mail from one IP block it there, the right password too; another IP signs in', async () => {
    for (let i = 0; i < 10; i++) {
      const answer = await signIn(server, '127.0.0.1', 'alice@acme.test', `wrong-${i}`);
      assert.deepEqual(answer, { status: 403, body: WRONG }, `failure ${i + 1}`);
    }
    assert.deepEqual(await signIn(server, '127.0.0.1', 'alice@acme.test', PASSWORD), { status: 429, body: BLOCKED });
    assert.deepEqual(await signIn(server, '127.0.0.1', 'alice@acme.test', 'wrong-10'), { status: 429, body: BLOCKED });
    // grant_type=password (the default directory) shares the count.
    const plain = await signIn(server, '127.0.0.1', 'alice@acme.test', PASSWORD, { grant_type: 'password' });
    assert.deepEqual(plain, { status: 429, body: BLOCKED });

    const elsewhere = await signIn(server, '127.0.0.2', 'alice@acme.test', PASSWORD);
    assert.equal(elsewhere.status, 200, JSON.stringify(elsewhere.body));
    assert.equal(typeof elsewhere.body.access_token, 'string');
  });

  test('successes are never counted: 105 sign-ins in a row from one IP, more than its daily 100, all succeed', async () => {
    for (let i = 0; i < 105; i++) {
      const answer = await signIn(server, '127.0.0.3', 'bob@acme.test', PASSWORD);
      assert.equal(answer.status, 200, `sign-in ${i + 1}: ${JSON.stringify(answer.body)}`);
    }
  });

  test('100 failed logins from one IP in a day throttle it, the right password too; one attempt is back after 14.4 minutes', async () => {
    // Unknown e-mails, so that no e-mail reaches its own limit of 10 first.
    for (let i = 0; i < 99; i++) {
      const answer = await signIn(server, '127.0.0.4', `nobody-${i}@acme.test`, 'wrong-password');
      assert.deepEqual(answer, { status: 403, body: WRONG }, `failure ${i + 1}`);
    }
    assert.deepEqual(await signIn(server, '127.0.0.4', 'carol@acme.test', 'wrong-password'), {
      status: 403,
      body: WRONG,
    });
    assert.deepEqual(await signIn(server, '127.0.0.4', 'carol@acme.test', PASSWORD), { status: 429, body: THROTTLED });
    assert.equal((await signIn(server, '127.0.0.5', 'carol@acme.test', PASSWORD)).status, 200, 'another IP is not');

    clock += 14 * MINUTE;
    assert.equal((await signIn(server, '127.0.0.4', 'carol@acme.test', PASSWORD)).status, 429, 'not back after 14 min');
    clock += 1 * MINUTE;
    assert.equal((await signIn(server, '127.0.0.4', 'carol@acme.test', PASSWORD)).status, 200, 'back after 14.4 min');
  });

  test('auth0-forwarded-for from a client not trusted with it is ignored: the failures count against the caller', async () => {
    // Each guess claims another end user's address; all ten land on the caller's own.
    for (let i = 0; i < 10; i++) {
      const forged = { 'auth0-forwarded-for': `203.0.113.${i + 1}` };
      const answer = await signIn(server, '127.0.0.6', 'dave@acme.test', `wrong-${i}`, {}, forged);
      assert.deepEqual(answer, { status: 403, body: WRONG }, `failure ${i + 1}`);
    }
    const fresh = { 'auth0-forwarded-for': '203.0.113.99' };
    assert.deepEqual(await signIn(server, '127.0.0.6', 'dave@acme.test', PASSWORD, {}, fresh), {
      status: 429,
      body: BLOCKED,
    });
  });

  test('auth0-forwarded-for from a trusted confidential client is counted instead of the caller', async () => {
    const proxySignIn = (password: string, endUser?: string) =>
      tokenFrom(
        server,
        '127.0.0.7',
        { client_id: 'proxy', username: 'erin@acme.test', password },
        endUser ? { 'auth0-forwarded-for': endUser } : {},
      );
    for (let i = 0; i < 10; i++)
      assert.deepEqual(await proxySignIn(`wrong-${i}`, '198.51.100.7'), { status: 403, body: WRONG });
    assert.deepEqual(await proxySignIn(PASSWORD, '198.51.100.7'), { status: 429, body: BLOCKED });
    // The backend's own address and the backend's other users are not blocked.
    assert.equal((await proxySignIn(PASSWORD, '198.51.100.8')).status, 200);
    assert.equal((await proxySignIn(PASSWORD)).status, 200);
  });
});
