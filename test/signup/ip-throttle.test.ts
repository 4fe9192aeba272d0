// Suspicious IP throttling (Auth0 docs: "Suspicious IP Throttling"), over HTTP on both databases: 50 sign-up
// attempts per IP per day (one back every 28.8 minutes) across /dbconnections/signup and the hosted page,
// and 100 failed logins per IP per day (one back every 14.4 minutes), answered 429 with Auth0's words; a
// successful login does not count; a burst of parallel attempts cannot overdraw the allowance. Another IP
// (127.0.0.2: Linux routes all of 127/8 to this host) keeps its own allowance.
import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { after, before, test } from 'node:test';
import { forEachDatabase } from '../helpers/each-database.js';
import { type RunningGatehouse, startGatehouse } from '../helpers/server.js';
import { alertText, authorizeUrl, CookieJarClient, openPage, postSignup } from '../helpers/http-client.js';
import { CALLBACK, DB, PASSWORD, tenant, user } from '../helpers/fixtures.js';

const THROTTLED =
  'We have detected suspicious login behavior and further attempts will be blocked. Please contact the administrator.';
const MINUTE = 60_000;

const adaTenant = () => tenant({ resource_servers: [], users: [user('ada', { email_verified: true })] });

/** POST /dbconnections/signup from another loopback address. */
function signupFrom(server: RunningGatehouse, localAddress: string, body: object): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      server.url('/dbconnections/signup'),
      { method: 'POST', localAddress, headers: { 'content-type': 'application/json' } },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode!));
      },
    );
    req.on('error', reject);
    req.end(JSON.stringify(body));
  });
}

forEachDatabase('suspicious IP throttling', (db) => {
  let server: RunningGatehouse;
  let clock = Date.parse('2026-11-25T08:00:00Z');
  before(async () => {
    server = await startGatehouse({ databaseUrl: db().url, tenant: adaTenant(), now: () => clock });
  });
  after(() => server?.close());

  const signup = (email: string, password: string) =>
    postSignup(server, { client_id: 'web', connection: DB, email, password });
  const throttledBody = {
    name: 'TooManyRequestsError',
    code: 'too_many_attempts',
    description: THROTTLED,
    statusCode: 429,
    error: 'too_many_attempts',
    error_description: THROTTLED,
  };

  test('the 51st sign-up attempt from one IP in a day is refused with 429, failed attempts included; one comes back every 28.8 minutes', async () => {
    // 48 refused (a weak password) and 2 accepted: every attempt counts, as in Auth0's pre-user-registration stage.
    for (let i = 0; i < 48; i++) assert.equal((await signup(`weak-${i}@acme.test`, 'weak')).status, 400);
    for (const email of ['first@acme.test', 'second@acme.test'])
      assert.equal((await signup(email, PASSWORD)).status, 200);

    const refused = await signup('third@acme.test', PASSWORD);
    assert.equal(refused.status, 429);
    assert.deepEqual(refused.body, throttledBody);
    assert.equal(refused.headers.get('cache-control'), 'no-store');
    assert.equal(await server.gatehouse.store.users.findByEmail(DB, 'third@acme.test'), undefined);

    clock += 28 * MINUTE;
    assert.equal((await signup('third@acme.test', PASSWORD)).status, 429, 'nothing has leaked back after 28 minutes');
    clock += 1 * MINUTE;
    assert.equal((await signup('third@acme.test', PASSWORD)).status, 200, 'one attempt is back after 28.8 minutes');
    assert.equal((await signup('fourth@acme.test', PASSWORD)).status, 429, 'and only one');
  });

  test('another IP has its own allowance', async () => {
    assert.equal(
      await signupFrom(server, '127.0.0.2', {
        client_id: 'web',
        connection: DB,
        email: 'elsewhere@acme.test',
        password: PASSWORD,
      }),
      200,
    );
    assert.ok(await server.gatehouse.store.users.findByEmail(DB, 'elsewhere@acme.test'));
  });

  test('the hosted sign-up page shares the allowance: 429 with the message on the page, no user created', async () => {
    const browser = new CookieJarClient(server);
    const params = {
      client_id: 'web',
      redirect_uri: CALLBACK,
      response_type: 'code',
      scope: 'openid',
      state: 'st',
      screen_hint: 'signup',
    };
    const { form } = await openPage(browser, await browser.get(authorizeUrl(server, params)), '/u/signup');
    const posted = await browser.post(form.action, { _csrf: form.csrf, email: 'page@acme.test', password: PASSWORD });
    assert.equal(posted.status, 429, posted.text);
    assert.equal(alertText(posted), THROTTLED);
    assert.equal(await server.gatehouse.store.users.findByEmail(DB, 'page@acme.test'), undefined);
  });

  test('after 100 failed logins from one IP even the right password is refused with 429; one attempt is back after 14.4 minutes', async () => {
    const browser = new CookieJarClient(server);
    const params = {
      client_id: 'web',
      redirect_uri: CALLBACK,
      response_type: 'code',
      scope: 'openid',
      state: 'st-login',
    };
    const { form } = await openPage(browser, await browser.get(authorizeUrl(server, params)), '/u/login');
    const login = (email: string, password: string) => browser.post(form.action, { _csrf: form.csrf, email, password });

    // Unknown e-mails, so that no account reaches the per-account brute-force limit of 10 first.
    for (let i = 0; i < 99; i++) assert.equal((await login(`nobody-${i}@acme.test`, 'wrong-password')).status, 400);
    assert.equal(
      (await login('ada@acme.test', 'wrong-password')).status,
      400,
      'a wrong password for a real account counts too',
    );

    const blocked = await login('ada@acme.test', PASSWORD);
    assert.equal(blocked.status, 429, blocked.text);
    assert.equal(alertText(blocked), THROTTLED);

    clock += 14 * MINUTE;
    assert.equal((await login('ada@acme.test', PASSWORD)).status, 429, 'nothing has leaked back after 14 minutes');
    clock += 1 * MINUTE;
    const allowed = await login('ada@acme.test', PASSWORD);
    assert.equal(allowed.status, 303, allowed.text);
    assert.match(allowed.location ?? '', /^\/authorize\/resume\?/);
  });

  test('a successful login gives its attempt back: the IP that just got one attempt back can sign in again', async () => {
    const browser = new CookieJarClient(server);
    const params = {
      client_id: 'web',
      redirect_uri: CALLBACK,
      response_type: 'code',
      scope: 'openid',
      state: 'st-again',
    };
    const { form } = await openPage(browser, await browser.get(authorizeUrl(server, params)), '/u/login');
    const again = await browser.post(form.action, { _csrf: form.csrf, email: 'ada@acme.test', password: PASSWORD });
    assert.equal(again.status, 303, again.text);
    const wrong = await browser.post(form.action, {
      _csrf: form.csrf,
      email: 'ada@acme.test',
      password: 'wrong-password',
    });
    assert.equal(wrong.status, 400, 'the last attempt left is spent by a failure');
    assert.equal(
      (await browser.post(form.action, { _csrf: form.csrf, email: 'ada@acme.test', password: PASSWORD })).status,
      429,
    );
  });
});

forEachDatabase('suspicious IP throttling under a burst', (db) => {
  let server: RunningGatehouse;
  before(async () => {
    server = await startGatehouse({ databaseUrl: db().url, tenant: adaTenant() });
  });
  after(() => server?.close());

  test('120 sign-up attempts at once from one IP: exactly 50 are tried, the other 70 get 429', async () => {
    const answers = await Promise.all(
      Array.from({ length: 120 }, (_, i) =>
        postSignup(server, { client_id: 'web', connection: DB, email: `burst-${i}@acme.test`, password: 'weak' }),
      ),
    );
    const statuses = answers.map((a) => a.status);
    assert.equal(statuses.filter((s) => s === 400).length, 50, statuses.join(' '));
    assert.equal(statuses.filter((s) => s === 429).length, 70, statuses.join(' '));
  });

  test('130 failed logins at once from one IP: exactly 100 are checked, the other 30 get 429', async () => {
    const browser = new CookieJarClient(server);
    const params = {
      client_id: 'web',
      redirect_uri: CALLBACK,
      response_type: 'code',
      scope: 'openid',
      state: 'st-burst',
    };
    const { form } = await openPage(browser, await browser.get(authorizeUrl(server, params)), '/u/login');
    const answers = await Promise.all(
      Array.from({ length: 130 }, (_, i) =>
        browser.post(form.action, { _csrf: form.csrf, email: `nobody-${i}@acme.test`, password: 'wrong-password' }),
      ),
    );
    const statuses = answers.map((a) => a.status);
    assert.equal(statuses.filter((s) => s === 400).length, 100, statuses.join(' '));
    assert.equal(statuses.filter((s) => s === 429).length, 30, statuses.join(' '));
  });
});
