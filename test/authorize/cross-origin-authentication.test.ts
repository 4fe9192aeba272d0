// Auth0's cross-origin authentication (embedded login) over HTTP on both databases: POST /co/authenticate from a
// registered origin answers a login ticket and sets the verifier cookie; /authorize with login_ticket signs the
// browser in and the code comes back to the callback. A ticket is spent once, lives 60 seconds, and counts only
// for its client, its connection and the browser that asked for it. Clients that did not opt in, origins they
// did not register, wrong passwords and blocked identifiers get Auth0's errors. And CORS (preflight and actual
// responses) on /co/authenticate and /dbconnections/signup.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { decodeJwt } from 'jose';
import { forEachDatabase } from '../helpers/each-database.js';
import {
  alertText,
  type Answer,
  authorizeUrl,
  basicAuth,
  CookieJarClient,
  openLogin,
  postToken,
  submitLogin,
} from '../helpers/http-client.js';
import { alice, bob, CALLBACK, DB, PASSWORD, tenant, user, WEB_SECRET, webClient } from '../helpers/fixtures.js';
import { type RunningGatehouse, startGatehouse } from '../helpers/server.js';

const APP = 'http://localhost:8080';
const OTHER_APP = 'http://localhost:8081';
const ALLOWED = 'http://localhost:8082';
const EVIL = 'https://evil.test';
const PARTNERS = 'Partners';
const CREDENTIAL_TYPE = 'http://auth0.com/oauth/grant-type/password-realm';
const BLOCKED =
  'Your account has been blocked after multiple consecutive login attempts. Reset your password or contact support.';

function embeddedTenant() {
  const clients = [
    webClient({
      client_id: 'embedded',
      web_origins: [APP],
      allowed_origins: [ALLOWED],
      cross_origin_authentication: true,
    }),
    webClient({ client_id: 'embedded-2', web_origins: [OTHER_APP], cross_origin_authentication: true }),
    webClient({ client_id: 'universal', web_origins: [APP] }),
  ];
  return tenant({
    clients,
    connections: [
      { name: DB, strategy: 'auth0', enabled_clients: clients.map((c) => c.client_id as string) },
      { name: PARTNERS, strategy: 'auth0', enabled_clients: ['embedded'] },
    ],
    users: [alice({ user_id: 'alice' }), bob(), user('dave'), user('erin'), user('mallory', { blocked: true })],
  });
}

const authorizeParams = (extra: Record<string, string> = {}) => ({
  client_id: 'embedded',
  redirect_uri: CALLBACK,
  response_type: 'code',
  scope: 'openid',
  state: 'st-co',
  realm: DB,
  ...extra,
});

forEachDatabase('cross-origin authentication', (db) => {
  let server: RunningGatehouse;
  /** The server's clock runs `offset` ms ahead of the real one. */
  let offset = 0;
  before(async () => {
    server = await startGatehouse({ databaseUrl: db().url, tenant: embeddedTenant(), now: () => Date.now() + offset });
  });
  after(() => server?.close());

  /** POST /co/authenticate as auth0.js sends it (JSON, with the page's Origin). */
  function coAuthenticate(browser: CookieJarClient, body: Record<string, unknown>, origin: string | undefined = APP) {
    return browser.request('/co/authenticate', {
      json: { client_id: 'embedded', credential_type: CREDENTIAL_TYPE, realm: DB, password: PASSWORD, ...body },
      headers: origin ? { origin } : {},
    });
  }

  async function ticketFor(browser: CookieJarClient, username = 'alice@acme.test'): Promise<string> {
    const answer = await coAuthenticate(browser, { username });
    assert.equal(answer.status, 200, answer.text);
    return (JSON.parse(answer.text) as { login_ticket: string }).login_ticket;
  }

  /** /authorize with the ticket: the redirect to the client's callback. */
  async function authorizeWithTicket(browser: CookieJarClient, ticket: string, extra: Record<string, string> = {}) {
    const answer = await browser.get(authorizeUrl(server, authorizeParams({ login_ticket: ticket, ...extra })));
    assert.equal(answer.status, 302, answer.text);
    return new URL(answer.location!, server.issuer);
  }

  function assertDenied(callback: URL) {
    assert.equal(callback.origin + callback.pathname, CALLBACK);
    assert.deepEqual(
      [callback.searchParams.get('error'), callback.searchParams.get('error_description')],
      ['access_denied', 'The login ticket is invalid, expired or was already used'],
    );
    assert.equal(callback.searchParams.get('code'), null);
  }

  const json = (answer: Answer) => JSON.parse(answer.text) as Record<string, unknown>;

  test('the embedded login: /co/authenticate → ticket → /authorize?login_ticket → code at the callback → tokens', async () => {
    const browser = new CookieJarClient(server);
    const answer = await coAuthenticate(browser, { username: 'alice@acme.test' });
    assert.equal(answer.status, 200, answer.text);
    assert.deepEqual(Object.keys(json(answer)).sort(), ['co_id', 'co_verifier', 'login_ticket']);
    assert.equal(answer.headers.get('access-control-allow-origin'), APP);
    assert.equal(answer.headers.get('access-control-allow-credentials'), 'true');
    assert.equal(answer.headers.get('cache-control'), 'no-store');
    assert.match(answer.setCookies.join('\n'), /gatehouse_co_verifier=[^;]+;.*Path=\/authorize.*HttpOnly/i);

    const callback = await authorizeWithTicket(browser, json(answer).login_ticket as string);
    assert.equal(callback.origin + callback.pathname, CALLBACK);
    assert.equal(callback.searchParams.get('state'), 'st-co');
    const code = callback.searchParams.get('code');
    assert.ok(code, callback.href);
    assert.ok(browser.cookie('gatehouse_session'), 'the ticket started an SSO session');
    assert.equal(browser.cookie('gatehouse_co_verifier'), undefined, 'the verifier is spent');

    const tokens = await postToken(
      server,
      { grant_type: 'authorization_code', code, redirect_uri: CALLBACK },
      { authorization: basicAuth('embedded', WEB_SECRET) },
    );
    assert.equal(tokens.status, 200, JSON.stringify(tokens.body));
    assert.equal(decodeJwt(tokens.body.id_token as string).sub, 'auth0|alice');

    // The session is an ordinary SSO session: the next /authorize, with prompt=none, answers at once.
    const silent = await browser.get(authorizeUrl(server, { ...authorizeParams(), prompt: 'none' }));
    assert.ok(new URL(silent.location!).searchParams.get('code'), silent.location);
  });

  test('a ticket counts once: the second /authorize with it hears access_denied', async () => {
    const browser = new CookieJarClient(server);
    const ticket = await ticketFor(browser);
    const verifier = browser.cookie('gatehouse_co_verifier')!;
    assert.ok((await authorizeWithTicket(browser, ticket)).searchParams.get('code'));
    // Even with the verifier cookie put back, and without the session the first use started.
    browser.setCookie('gatehouse_co_verifier', verifier, '/authorize');
    browser.deleteCookie('gatehouse_session');
    assertDenied(await authorizeWithTicket(browser, ticket));
  });

  test('a ticket expires after 60 seconds (server clock)', async () => {
    const browser = new CookieJarClient(server);
    const ticket = await ticketFor(browser);
    offset += 61_000;
    assertDenied(await authorizeWithTicket(browser, ticket));
  });

  test('a ticket counts only for its client, its connection and the browser that asked for it', async () => {
    const browser = new CookieJarClient(server);
    const ticket = await ticketFor(browser);
    const verifier = browser.cookie('gatehouse_co_verifier')!;
    assertDenied(await authorizeWithTicket(browser, ticket, { client_id: 'embedded-2' }));
    browser.setCookie('gatehouse_co_verifier', verifier, '/authorize');
    assertDenied(await authorizeWithTicket(browser, ticket, { realm: PARTNERS }));
    // Another browser (no verifier cookie, or another one) cannot redeem it: no login CSRF with a stolen ticket.
    const other = new CookieJarClient(server);
    assertDenied(await authorizeWithTicket(other, ticket));
    other.setCookie('gatehouse_co_verifier', 'not-the-verifier', '/authorize');
    assertDenied(await authorizeWithTicket(other, ticket));
    assert.equal(other.cookie('gatehouse_session'), undefined);
    // None of those spent it: its own browser, client and connection still can.
    browser.setCookie('gatehouse_co_verifier', verifier, '/authorize');
    assert.ok((await authorizeWithTicket(browser, ticket)).searchParams.get('code'));
  });

  describe('errors in Auth0 shapes', () => {
    const cases: { name: string; body: Record<string, unknown>; origin?: string; status: number; error: object }[] = [
      {
        name: 'wrong password',
        body: { username: 'dave@acme.test', password: 'not-it' },
        status: 403,
        error: { error: 'access_denied', error_description: 'Wrong email or password.' },
      },
      {
        name: 'unknown user (same answer)',
        body: { username: 'nobody@acme.test', password: 'not-it' },
        status: 403,
        error: { error: 'access_denied', error_description: 'Wrong email or password.' },
      },
      {
        name: 'blocked user',
        body: { username: 'mallory@acme.test' },
        status: 403,
        error: { error: 'blocked_user', error_description: 'Blocked user' },
      },
      {
        name: 'client without cross_origin_authentication',
        body: { client_id: 'universal', username: 'alice@acme.test' },
        status: 401,
        error: { error: 'unauthorized_client', error_description: 'Cross origin login not allowed.' },
      },
      {
        name: 'an origin no client registered',
        body: { username: 'alice@acme.test' },
        origin: EVIL,
        status: 403,
        error: { error: 'access_denied', error_description: `Origin ${EVIL} is not allowed.` },
      },
      {
        name: "another client's origin",
        body: { username: 'alice@acme.test' },
        origin: OTHER_APP,
        status: 403,
        error: { error: 'access_denied', error_description: `Origin ${OTHER_APP} is not allowed.` },
      },
      {
        name: 'no password',
        body: { username: 'alice@acme.test', password: undefined },
        status: 400,
        error: {
          error: 'invalid_request',
          error_description:
            'Invalid request body. All and only of client_id, credential_type, username, password, realm are required.',
        },
      },
      {
        name: 'unknown credential type',
        body: { username: 'alice@acme.test', credential_type: 'http://auth0.com/oauth/grant-type/mfa-otp' },
        status: 400,
        error: { error: 'unsupported_credential_type', error_description: 'Unknown credential type parameter.' },
      },
      {
        name: 'a realm not enabled for the client',
        body: { client_id: 'embedded-2', username: 'alice@acme.test', realm: PARTNERS },
        origin: OTHER_APP,
        status: 400,
        error: { error: 'invalid_request', error_description: `Unknown realm ${PARTNERS}.` },
      },
      {
        name: 'unknown client',
        body: { client_id: 'nope', username: 'alice@acme.test' },
        status: 400,
        error: { error: 'invalid_request', error_description: 'Unknown client: nope' },
      },
    ];
    for (const c of cases) {
      test(`${c.name}: ${c.status} ${JSON.stringify(c.error)}, no ticket`, async () => {
        const browser = new CookieJarClient(server);
        const answer = await coAuthenticate(browser, c.body, c.origin ?? APP);
        assert.equal(answer.status, c.status, answer.text);
        assert.deepEqual(json(answer), c.error);
        assert.equal(browser.cookie('gatehouse_co_verifier'), undefined);
        // The page may read the error when its origin is the client's own (never for an unknown client).
        const own = c.body.client_id !== 'nope' && c.origin !== EVIL && !(c.origin === OTHER_APP && !c.body.client_id);
        assert.equal(answer.headers.get('access-control-allow-origin'), own ? (c.origin ?? APP) : null);
      });
    }
  });

  test('without a realm (credential_type password) the default directory is used', async () => {
    const browser = new CookieJarClient(server);
    const answer = await coAuthenticate(browser, {
      username: 'alice@acme.test',
      credential_type: 'password',
      realm: undefined,
    });
    assert.equal(answer.status, 200, answer.text);
    const callback = await authorizeWithTicket(browser, json(answer).login_ticket as string);
    assert.ok(callback.searchParams.get('code'), callback.href);
  });

  test('an allowed_origins origin may call it as well as a web_origins one', async () => {
    const browser = new CookieJarClient(server);
    const answer = await coAuthenticate(browser, { username: 'alice@acme.test' }, ALLOWED);
    assert.equal(answer.status, 200, answer.text);
    assert.equal(answer.headers.get('access-control-allow-origin'), ALLOWED);
  });

  test('10 wrong passwords block the e-mail for the IP: the 11th attempt, right password included, is 429', async () => {
    const browser = new CookieJarClient(server);
    for (let attempt = 1; attempt <= 10; attempt++) {
      const answer = await coAuthenticate(browser, { username: 'bob@acme.test', password: `wrong-${attempt}` });
      assert.equal(answer.status, 403, `attempt ${attempt}: ${answer.text}`);
    }
    const blocked = await coAuthenticate(browser, { username: 'bob@acme.test' });
    assert.equal(blocked.status, 429, blocked.text);
    assert.deepEqual(json(blocked), { error: 'too_many_attempts', error_description: BLOCKED });
    assert.equal(browser.cookie('gatehouse_co_verifier'), undefined);
    // The same counters as the login page's: the hosted form refuses the right password for bob too.
    const { form } = await openLogin(browser, { ...authorizeParams(), realm: '' });
    const page = await submitLogin(browser, form, 'bob@acme.test');
    assert.deepEqual([page.status, alertText(page)], [429, BLOCKED]);
  });

  describe('CORS', () => {
    const preflight = (path: string, origin: string) =>
      fetch(server.url(path), {
        method: 'OPTIONS',
        headers: {
          origin,
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'content-type,auth0-client',
        },
      });

    for (const [path, credentials] of [
      ['/co/authenticate', 'true'],
      ['/dbconnections/signup', null],
    ] as const) {
      test(`preflight ${path}: a registered origin gets the CORS headers, an unregistered one none`, async () => {
        for (const origin of [APP, OTHER_APP, ALLOWED]) {
          const answer = await preflight(path, origin);
          assert.equal(answer.status, 204, origin);
          assert.equal(answer.headers.get('access-control-allow-origin'), origin);
          assert.equal(answer.headers.get('access-control-allow-credentials'), credentials);
          assert.equal(answer.headers.get('access-control-allow-methods'), 'POST');
          assert.match(answer.headers.get('access-control-allow-headers') ?? '', /Content-Type.*Auth0-Client/);
          assert.match(answer.headers.get('vary') ?? '', /Origin/);
        }
        const refused = await preflight(path, EVIL);
        assert.equal(refused.status, 403);
        assert.equal(refused.headers.get('access-control-allow-origin'), null);
      });
    }

    test("/dbconnections/signup: the answer names the origin only when it is one of the client's", async () => {
      const signup = (origin: string, email: string) =>
        fetch(server.url('/dbconnections/signup'), {
          method: 'POST',
          headers: { origin, 'content-type': 'application/json' },
          body: JSON.stringify({ client_id: 'embedded', email, password: PASSWORD, connection: DB }),
        });
      const own = await signup(APP, 'new-1@acme.test');
      assert.equal(own.status, 200, await own.text());
      assert.equal(own.headers.get('access-control-allow-origin'), APP);
      assert.equal(own.headers.get('access-control-allow-credentials'), null);
      for (const [origin, email] of [
        [OTHER_APP, 'new-2@acme.test'],
        [EVIL, 'new-3@acme.test'],
      ]) {
        const answer = await signup(origin, email);
        assert.equal(answer.headers.get('access-control-allow-origin'), null, origin);
      }
    });
  });
});
