// Test mode's /test/ API over HTTP, on both databases: users and sessions made without the form, the captured
// outbox (a passwordless code and a reset link, then emptied), the clock moving an authorization code, a
// passwordless code and a brute-force block past their ends (and the iat of new tokens with it), a reset
// restoring the tenant file's tenant while requests keep being answered, the refusal of a caller that is not on
// loopback (Fastify's inject with a remote address: the test servers listen on 127.0.0.1 only), and a 404 for
// every route outside test mode.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { decodeJwt } from 'jose';
import { forEachDatabase } from '../helpers/each-database.js';
import { CALLBACK, DB, PASSWORD, signInTenant, users, WEB_SECRET, webClient } from '../helpers/fixtures.js';
import { basicAuth, CookieJarClient, postForm, postToken, signIn, silentCode } from '../helpers/http-client.js';
import { type RunningGatehouse, startGatehouse } from '../helpers/server.js';

const OTP = 'http://auth0.com/oauth/grant-type/passwordless/otp';
const PASSWORD_REALM = 'http://auth0.com/oauth/grant-type/password-realm';
const DAY_S = 24 * 3600;

const backend = webClient({
  client_id: 'backend',
  name: 'Backend',
  client_secret: WEB_SECRET,
  token_endpoint_auth_method: 'client_secret_post',
  grant_types: ['authorization_code', PASSWORD_REALM, OTP],
  callbacks: [CALLBACK],
});

function testTenant() {
  const file = signInTenant({ clients: [backend] });
  file.connections.push({ name: 'email', strategy: 'email', enabled_clients: ['backend'] });
  return file;
}

async function api(server: RunningGatehouse, method: string, path: string, json?: unknown) {
  const response = await fetch(server.url(path), {
    method,
    headers: json === undefined ? {} : { 'content-type': 'application/json' },
    body: json === undefined ? undefined : JSON.stringify(json),
  });
  const text = await response.text();
  const json_ = response.headers.get('content-type')?.startsWith('application/json');
  return {
    status: response.status,
    headers: response.headers,
    body: (json_ ? JSON.parse(text) : { text }) as Record<string, any>,
  };
}

const codeGrant = (server: RunningGatehouse, code: string) =>
  postToken(
    server,
    { grant_type: 'authorization_code', code, redirect_uri: CALLBACK },
    { authorization: basicAuth('web', WEB_SECRET) },
  );
const authorize = { client_id: 'web', response_type: 'code', redirect_uri: CALLBACK, scope: 'openid email' };
const passwordGrant = (server: RunningGatehouse, username: string, password: string) =>
  postToken(server, {
    grant_type: PASSWORD_REALM,
    client_id: 'backend',
    client_secret: WEB_SECRET,
    realm: DB,
    username,
    password,
  });

forEachDatabase('the test API', (db) => {
  let server: RunningGatehouse;
  before(async () => {
    server = await startGatehouse({ databaseUrl: db().url, tenant: testTenant(), env: { GATEHOUSE_MODE: 'test' } });
  });
  after(() => server?.close());

  test('POST /test/users makes a user who signs in with the password; POST /test/session signs a browser in without the form', async () => {
    const created = await api(server, 'POST', '/test/users', {
      email: 'Zoe@Example.test',
      password: 'pw',
      name: 'Zoe',
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    assert.equal(created.body.email, 'zoe@example.test');
    assert.equal(created.body.email_verified, true);
    assert.match(created.body.user_id, /^auth0\|/);
    assert.equal((await passwordGrant(server, 'zoe@example.test', 'pw')).status, 200);
    assert.equal((await api(server, 'POST', '/test/users', { email: 'zoe@example.test', password: 'x' })).status, 400);
    assert.equal((await api(server, 'POST', '/test/users', { password: 'x' })).body.error, 'invalid_request');

    const session = await api(server, 'POST', '/test/session', { user_id: created.body.user_id, client_id: 'web' });
    assert.equal(session.status, 200, JSON.stringify(session.body));
    assert.equal(session.body.cookie.name, 'gatehouse_session');
    assert.match(session.headers.get('set-cookie') ?? '', /^gatehouse_session=/);
    assert.match(session.body.set_cookie, /^gatehouse_session=[^;]+; Path=\/; HttpOnly; SameSite=Lax$/);
    const browser = new CookieJarClient(server);
    browser.setCookie(session.body.cookie.name, session.body.cookie.value);
    const callback = await silentCode(browser, authorize);
    const tokens = await codeGrant(server, callback.searchParams.get('code')!);
    assert.equal(tokens.status, 200);
    assert.equal(decodeJwt(tokens.body.id_token as string).sub, created.body.user_id);

    const unknown = await api(server, 'POST', '/test/session', { user_id: 'auth0|nobody', client_id: 'web' });
    assert.deepEqual([unknown.status, unknown.body.error], [400, 'invalid_request']);
    const noClient = await api(server, 'POST', '/test/session', { user_id: created.body.user_id, client_id: 'x' });
    assert.equal(noClient.status, 400);
  });

  test('GET /test/outbox lists the e-mails sent with their code and link; DELETE empties it', async () => {
    assert.equal((await api(server, 'DELETE', '/test/outbox')).status, 200);
    const start = await postForm(server, '/passwordless/start', {
      client_id: 'backend',
      client_secret: WEB_SECRET,
      connection: 'email',
      email: 'otp@example.test',
      send: 'code',
    });
    assert.equal(start.status, 200, JSON.stringify(start.body));
    const reset = await api(server, 'POST', '/dbconnections/change_password', {
      client_id: 'web',
      connection: DB,
      email: users.alice.email,
    });
    assert.equal(reset.status, 200, reset.body.text);
    const outbox = await api(server, 'GET', '/test/outbox');
    const [otp, link] = outbox.body.messages;
    assert.deepEqual([otp.channel, otp.kind, otp.to], ['email', 'passwordless', 'otp@example.test']);
    assert.match(otp.code, /^\d{6}$/);
    assert.ok(otp.html.includes(otp.code));
    assert.deepEqual([link.kind, link.to], ['reset_email', users.alice.email]);
    assert.ok(link.link.startsWith(server.url('/u/reset-password')), link.link);
    assert.equal((await api(server, 'GET', `/test/outbox?to=${users.alice.email}`)).body.messages.length, 1);
    const signedIn = await postToken(server, {
      grant_type: OTP,
      client_id: 'backend',
      client_secret: WEB_SECRET,
      realm: 'email',
      username: 'otp@example.test',
      otp: otp.code,
    });
    assert.equal(signedIn.status, 200, JSON.stringify(signedIn.body));
    assert.equal((await api(server, 'DELETE', '/test/outbox')).status, 200);
    assert.deepEqual((await api(server, 'GET', '/test/outbox')).body.messages, []);
  });

  test('POST /test/clock moves a code past its expiry, and the iat of new tokens with it', async () => {
    const before = await api(server, 'GET', '/test/clock');
    const code = (await signIn(new CookieJarClient(server), authorize, users.bob.email)).searchParams.get('code')!;
    const start = await postForm(server, '/passwordless/start', {
      client_id: 'backend',
      client_secret: WEB_SECRET,
      connection: 'email',
      email: 'late@example.test',
      send: 'code',
    });
    assert.equal(start.status, 200);
    const otp = (await api(server, 'GET', '/test/outbox?to=late@example.test')).body.messages[0].code;

    const moved = await api(server, 'POST', '/test/clock', { seconds: 3600 });
    assert.equal(moved.status, 200);
    assert.equal(moved.body.offset_seconds, before.body.offset_seconds + 3600);
    assert.ok(Date.parse(moved.body.now) >= Date.now() + 3599_000);
    const expired = await codeGrant(server, code);
    assert.deepEqual([expired.status, expired.body.error], [403, 'invalid_grant']);
    const lateOtp = await postToken(server, {
      grant_type: OTP,
      client_id: 'backend',
      client_secret: WEB_SECRET,
      realm: 'email',
      username: 'late@example.test',
      otp,
    });
    assert.equal(lateOtp.body.error, 'invalid_grant');

    const fresh = await passwordGrant(server, users.alice.email, PASSWORD);
    assert.equal(fresh.status, 200);
    const { iat } = decodeJwt(fresh.body.access_token as string);
    assert.ok(iat! >= Math.floor(Date.now() / 1000) + 3599, `iat ${iat} follows the clock`);

    for (const seconds of [-1, 1.5, '60', 1e12]) {
      const refused = await api(server, 'POST', '/test/clock', { seconds });
      assert.deepEqual([refused.status, refused.body.error], [400, 'invalid_request'], String(seconds));
    }
  });

  test('POST /test/clock moves a brute-force block past its end (30 days)', async () => {
    for (let i = 0; i < 10; i++) await passwordGrant(server, users.dave.email, 'wrong');
    const blocked = await passwordGrant(server, users.dave.email, PASSWORD);
    assert.deepEqual([blocked.status, blocked.body.error], [429, 'too_many_attempts']);
    await api(server, 'POST', '/test/clock', { seconds: 31 * DAY_S });
    assert.equal((await passwordGrant(server, users.dave.email, PASSWORD)).status, 200);
  });

  test('POST /test/reset restores the tenant of the start in one go while requests keep being answered', async () => {
    const made = await api(server, 'POST', '/test/users', { email: 'gone@example.test', password: 'pw' });
    assert.equal(made.status, 201);
    const session = await api(server, 'POST', '/test/session', { user_id: users.erin.user_id, client_id: 'web' });
    // Requests in flight around the reset: every one answered, none with a 5xx.
    let serving = true;
    const traffic = (async () => {
      const statuses: number[] = [];
      while (serving) statuses.push((await passwordGrant(server, users.alice.email, PASSWORD)).status);
      return statuses;
    })();
    const reset = await api(server, 'POST', '/test/reset', {});
    assert.equal(reset.status, 200);
    serving = false;
    const statuses = await traffic;
    assert.ok(statuses.length > 0 && statuses.every((s) => s === 200), statuses.join(','));

    assert.equal((await passwordGrant(server, 'gone@example.test', 'pw')).status, 403);
    assert.equal(
      (await api(server, 'POST', '/test/users', { email: 'gone@example.test', password: 'pw' })).status,
      201,
    );
    const browser = new CookieJarClient(server);
    browser.setCookie('gatehouse_session', session.body.cookie.value);
    const answer = await browser.get(`/authorize?${new URLSearchParams(authorize)}`);
    assert.match(answer.location ?? '', /^\/u\/login/, 'the session of before the reset is gone');
    assert.deepEqual((await api(server, 'GET', '/test/outbox')).body.messages, []);
    assert.equal((await passwordGrant(server, users.dave.email, PASSWORD)).status, 200);
  });

  test('a caller that is not on loopback is refused (403) on every route', async () => {
    for (const [method, url] of [
      ['POST', '/test/reset'],
      ['GET', '/test/outbox'],
      ['DELETE', '/test/outbox'],
      ['GET', '/test/clock'],
      ['POST', '/test/session'],
      ['POST', '/test/users'],
    ] as const) {
      const answer = await server.gatehouse.app.inject({ method, url, remoteAddress: '192.0.2.7', payload: {} });
      assert.equal(answer.statusCode, 403, `${method} ${url}`);
      assert.equal(answer.json().error, 'access_denied');
    }
    const mapped = await server.gatehouse.app.inject({
      method: 'GET',
      url: '/test/clock',
      remoteAddress: '::ffff:10.0.0.1',
    });
    assert.equal(mapped.statusCode, 403);
    const local = await server.gatehouse.app.inject({
      method: 'GET',
      url: '/test/clock',
      remoteAddress: '::ffff:127.0.0.1',
    });
    assert.equal(local.statusCode, 200);
  });
});

forEachDatabase('outside test mode', (db) => {
  let server: RunningGatehouse;
  before(async () => {
    server = await startGatehouse({ databaseUrl: db().url, tenant: testTenant() });
  });
  after(() => server?.close());

  test('every /test/ route is an ordinary 404', async () => {
    for (const [method, path] of [
      ['POST', '/test/reset'],
      ['GET', '/test/outbox'],
      ['DELETE', '/test/outbox'],
      ['GET', '/test/clock'],
      ['POST', '/test/clock'],
      ['POST', '/test/session'],
      ['POST', '/test/users'],
    ]) {
      const answer = await api(server, method, path, method === 'POST' ? { seconds: 60 } : undefined);
      assert.equal(answer.status, 404, `${method} ${path}`);
      assert.equal(answer.body.error, 'not_found');
    }
    assert.equal(server.gatehouse.clock, undefined);
  });
});
