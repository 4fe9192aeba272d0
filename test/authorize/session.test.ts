// The browser side of signing in (docs/sign-in.md): CSRF tokens bound to a cookie, pages that refuse framing,
// the SSO session cookie, brute-force protection, SSO across applications with prompt=login and max_age,
// and both logouts (Auth0's /v2/logout, OIDC RP-Initiated Logout). Request logs never hold codes or hints (docs/operations.md "Logs").
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { decodeJwt, generateKeyPair, SignJWT } from 'jose';
import pino from 'pino';
import { buildApp } from '../../src/app.js';
import { serializers } from '../../src/http/log.js';
import { forEachDatabase } from '../helpers/each-database.js';
import { freePort, type RunningGatehouse, startGatehouse, testConfig } from '../helpers/server.js';
import {
  alertText,
  type Answer,
  authorizeUrl,
  basicAuth,
  CookieJarClient,
  pageForm,
  openLogin,
  pkcePair,
  postToken,
  signIn,
  silentCode,
  submitLogin,
} from '../helpers/http-client.js';
import {
  CALLBACK,
  OTHER_CALLBACK,
  OTHER_SECRET,
  PASSWORD,
  signInTenant,
  users,
  WEB_SECRET,
} from '../helpers/fixtures.js';

const webParams = {
  client_id: 'web',
  redirect_uri: CALLBACK,
  response_type: 'code',
  scope: 'openid profile',
  state: 'st-1',
};
const otherParams = {
  client_id: 'other-web',
  redirect_uri: OTHER_CALLBACK,
  response_type: 'code',
  scope: 'openid',
  state: 'st-2',
};
const BLOCKED =
  'Your account has been blocked after multiple consecutive login attempts. Reset your password or contact support.';
const CSRF_REFUSED = 'The form could not be verified (it may have expired). Go back and try again.';

function assertNoFraming(answer: Answer, what: string) {
  assert.match(answer.headers.get('content-type') ?? '', /^text\/html/, what);
  assert.equal(answer.headers.get('x-frame-options'), 'DENY', what);
  assert.match(answer.headers.get('content-security-policy') ?? '', /(^|;)\s*frame-ancestors 'none'\s*(;|$)/, what);
}

/** The Set-Cookie line for one cookie, or undefined. */
function setCookieLine(answer: Answer, name: string): string | undefined {
  return answer.setCookies.find((line) => line.startsWith(`${name}=`));
}

function attributes(line: string): string[] {
  return line
    .split(';')
    .slice(1)
    .map((a) => a.trim().toLowerCase());
}

const IDLE_HOURS = 1;
const ABSOLUTE_HOURS = 2;
const MINUTE = 60_000;

forEachDatabase('sign-in sessions, CSRF and logout', (db) => {
  let server: RunningGatehouse;
  /** The server's clock runs `offset` ms ahead of the real one; tests that move it put it back. */
  let offset = 0;
  before(async () => {
    server = await startGatehouse({
      databaseUrl: db().url,
      tenant: signInTenant({ tenant: { idle_session_lifetime: IDLE_HOURS, session_lifetime: ABSOLUTE_HOURS } }),
      now: () => Date.now() + offset,
    });
  });
  after(() => server.close());

  /** prompt=none for the web app: the code when the browser is signed in, else the error. */
  async function silent(browser: CookieJarClient) {
    const answer = await browser.get(authorizeUrl(server, { ...webParams, prompt: 'none' }));
    assert.equal(answer.status, 302, answer.text);
    const location = new URL(answer.location!);
    return { code: location.searchParams.get('code'), error: location.searchParams.get('error') };
  }

  async function redeem(callback: URL, as: 'web' | 'other-web', redirectUri: string) {
    const params = {
      grant_type: 'authorization_code',
      code: callback.searchParams.get('code')!,
      redirect_uri: redirectUri,
    };
    const answer =
      as === 'web'
        ? await postToken(server, params, { authorization: basicAuth('web', WEB_SECRET) })
        : await postToken(server, { ...params, client_id: 'other-web', client_secret: OTHER_SECRET });
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    return decodeJwt(answer.body.id_token as string);
  }

  describe('CSRF: a login form is accepted only from the browser it was served to', () => {
    interface CsrfRow {
      name: string;
      /** Builds the POST: which cookie header and which token go with browser A's form. */
      post(a: {
        browser: CookieJarClient;
        form: { action: string; csrf: string };
      }): Promise<{ cookie?: string; csrf?: string }>;
      refused: boolean;
    }
    const rows: CsrfRow[] = [
      { name: 'without the CSRF cookie', post: async (a) => ({ csrf: a.form.csrf }), refused: true },
      {
        name: "with another browser's cookie",
        post: async (a) => {
          const b = new CookieJarClient(server);
          await openLogin(b, webParams);
          return { cookie: `gatehouse_csrf=${b.cookie('gatehouse_csrf')}`, csrf: a.form.csrf };
        },
        refused: true,
      },
      {
        name: "with another browser's cookie and that browser's token",
        post: async () => {
          const b = new CookieJarClient(server);
          const { form } = await openLogin(b, webParams);
          return { cookie: `gatehouse_csrf=${b.cookie('gatehouse_csrf')}`, csrf: form.csrf };
        },
        refused: true,
      },
      {
        name: 'with a wrong token',
        post: async (a) => ({
          cookie: `gatehouse_csrf=${a.browser.cookie('gatehouse_csrf')}`,
          csrf: `${a.form.csrf.slice(0, -2)}AA`,
        }),
        refused: true,
      },
      {
        name: 'with no token',
        post: async (a) => ({ cookie: `gatehouse_csrf=${a.browser.cookie('gatehouse_csrf')}` }),
        refused: true,
      },
      {
        name: "with the token of the same browser's other sign-in",
        post: async (a) => {
          const { form } = await openLogin(a.browser, otherParams);
          return { cookie: `gatehouse_csrf=${a.browser.cookie('gatehouse_csrf')}`, csrf: form.csrf };
        },
        refused: true,
      },
      {
        name: 'with its own cookie and token (control)',
        post: async (a) => ({ cookie: `gatehouse_csrf=${a.browser.cookie('gatehouse_csrf')}`, csrf: a.form.csrf }),
        refused: false,
      },
    ];
    for (const row of rows) {
      test(`login POST ${row.name}: ${row.refused ? '403, not signed in' : '303'}`, async () => {
        const a = new CookieJarClient(server);
        const { form } = await openLogin(a, webParams);
        const { cookie, csrf } = await row.post({ browser: a, form });
        const poster = new CookieJarClient(server);
        const answer = await poster.post(
          form.action,
          { ...(csrf === undefined ? {} : { _csrf: csrf }), email: users.alice.email, password: PASSWORD },
          cookie ? { cookie } : {},
        );
        if (!row.refused) {
          assert.equal(answer.status, 303, answer.text);
          assert.ok(setCookieLine(answer, 'gatehouse_session'));
          return;
        }
        assert.equal(answer.status, 403, answer.text);
        assertNoFraming(answer, 'CSRF error page');
        assert.equal(alertText(answer), CSRF_REFUSED);
        assert.equal(answer.location, undefined);
        assert.equal(setCookieLine(answer, 'gatehouse_session'), undefined);
        // Nobody was signed in: the transaction cannot be resumed and prompt=none still needs a login.
        const resumed = await poster.get(
          `/authorize/resume?state=${new URL(form.action, server.issuer).searchParams.get('state')}`,
        );
        assert.equal(resumed.status, 302);
        assert.equal(new URL(resumed.location!).searchParams.get('error'), 'access_denied');
        assert.equal((await silent(poster)).error, 'login_required');
        assert.equal((await silent(a)).error, 'login_required');
      });
    }
  });

  describe('pages refuse to be framed', () => {
    const pages: { name: string; status: number; open(browser: CookieJarClient): Promise<Answer> }[] = [
      { name: '/u/login', status: 200, open: async (b) => (await openLogin(b, webParams)).page },
      { name: '/u/login with an unknown transaction', status: 400, open: (b) => b.get('/u/login?state=nope') },
      {
        name: '/authorize error page (unknown client)',
        status: 400,
        open: (b) => b.get(authorizeUrl(server, { ...webParams, client_id: 'nobody' })),
      },
      {
        name: '/authorize error page (unregistered redirect_uri)',
        status: 400,
        open: (b) => b.get(authorizeUrl(server, { ...webParams, redirect_uri: 'https://evil.test/' })),
      },
      {
        name: '/authorize/resume with an unknown transaction',
        status: 400,
        open: (b) => b.get('/authorize/resume?state=nope'),
      },
      { name: 'the logged-out page', status: 200, open: (b) => b.get('/v2/logout') },
      {
        name: 'the logout error page',
        status: 400,
        open: (b) => b.get('/v2/logout?returnTo=https%3A%2F%2Fevil.test%2F'),
      },
    ];
    for (const page of pages) {
      test(`${page.name}: X-Frame-Options DENY and frame-ancestors 'none'`, async () => {
        const answer = await page.open(new CookieJarClient(server));
        assert.equal(answer.status, page.status, answer.text);
        assertNoFraming(answer, page.name);
        assert.equal(answer.headers.get('cache-control'), 'no-store');
      });
    }
  });

  test('cookies: the session cookie is HttpOnly, SameSite=Lax on an http issuer, Path=/; the CSRF cookie stays under /u', async () => {
    const browser = new CookieJarClient(server);
    const { page, form } = await openLogin(browser, webParams);
    const csrf = setCookieLine(page, 'gatehouse_csrf');
    assert.ok(csrf, page.setCookies.join('\n'));
    assert.ok(attributes(csrf).includes('httponly'), csrf);
    assert.ok(attributes(csrf).includes('path=/u'), csrf);
    const posted = await submitLogin(browser, form, users.alice.email);
    assert.equal(posted.status, 303);
    const session = setCookieLine(posted, 'gatehouse_session');
    assert.ok(session, posted.setCookies.join('\n'));
    const attrs = attributes(session);
    assert.ok(attrs.includes('httponly'), session);
    assert.ok(attrs.includes('samesite=lax'), session);
    assert.ok(attrs.includes('path=/'), session);
    assert.ok(!attrs.includes('secure'), session);
    assert.ok(!attrs.some((a) => a.startsWith('domain=')), session);
    assert.ok(/^gatehouse_session=[A-Za-z0-9_-]{32,}$/.test(session.split(';')[0]), session);
  });

  test('"Wrong email or password" reads the same for an unknown e-mail and a wrong password', async () => {
    const browser = new CookieJarClient(server);
    const { form } = await openLogin(browser, webParams);
    const unknown = await submitLogin(browser, form, 'nobody@acme.test', PASSWORD);
    const wrong = await submitLogin(browser, pageForm(unknown), users.bob.email, `${PASSWORD}!`);
    assert.equal(unknown.status, 400);
    assert.equal(wrong.status, 400);
    assert.equal(alertText(unknown), 'Wrong email or password');
    assert.equal(alertText(wrong), 'Wrong email or password');
    // The pages differ only by what the user typed and per-response values.
    const normalise = (a: Answer, email: string) =>
      a.text.replaceAll(email, 'EMAIL').replace(/nonce-[^'"]+|nonce="[^"]+"/g, 'NONCE');
    assert.equal(normalise(unknown, 'nobody@acme.test'), normalise(wrong, users.bob.email));
    assert.equal(setCookieLine(wrong, 'gatehouse_session'), undefined);
  });

  test('brute force: after 10 wrong passwords the right one is refused (429) from that IP; another user is unaffected', async () => {
    const browser = new CookieJarClient(server);
    let { form } = await openLogin(browser, webParams);
    for (let attempt = 1; attempt <= 10; attempt++) {
      const answer = await submitLogin(browser, form, users.dave.email, `wrong-${attempt}`);
      assert.equal(answer.status, 400, `attempt ${attempt}`);
      assert.equal(alertText(answer), 'Wrong email or password');
      form = pageForm(answer);
    }
    const blocked = await submitLogin(browser, form, users.dave.email, PASSWORD);
    assert.equal(blocked.status, 429, blocked.text);
    assert.equal(alertText(blocked), BLOCKED);
    assert.equal(setCookieLine(blocked, 'gatehouse_session'), undefined);
    assert.equal((await silent(browser)).error, 'login_required');
    // A fresh browser from the same IP changes nothing.
    const sameBrowser = new CookieJarClient(server);
    const fresh = await openLogin(sameBrowser, webParams);
    assert.equal((await submitLogin(sameBrowser, fresh.form, users.dave.email, PASSWORD)).status, 429);
    // Erin signs in from the same IP.
    const erin = new CookieJarClient(server);
    const callback = await signIn(erin, webParams, users.erin.email);
    assert.ok(callback.searchParams.get('code'));
  });

  test('SSO: a second application signs in at once with the session; both ID tokens share the sid', async () => {
    const browser = new CookieJarClient(server);
    const first = await signIn(browser, webParams, users.alice.email);
    const firstToken = await redeem(first, 'web', CALLBACK);
    const second = await silentCode(browser, otherParams);
    assert.equal(`${second.origin}${second.pathname}`, OTHER_CALLBACK);
    assert.equal(second.searchParams.get('state'), 'st-2');
    assert.equal(second.searchParams.get('iss'), server.issuer);
    const secondToken = await redeem(second, 'other-web', OTHER_CALLBACK);
    assert.equal(secondToken.sub, users.alice.user_id);
    assert.equal(secondToken.aud, 'other-web');
    assert.equal(secondToken.sid, firstToken.sid);
    assert.equal(secondToken.auth_time, firstToken.auth_time);
  });

  test('SSO: prompt=login and max_age=0 show the form again; max_age=3600 does not', async () => {
    const browser = new CookieJarClient(server);
    const first = await redeem(await signIn(browser, webParams, users.alice.email), 'web', CALLBACK);
    for (const extra of [{ prompt: 'login' }, { max_age: '0' }] as Record<string, string>[]) {
      const answer = await browser.get(authorizeUrl(server, { ...webParams, ...extra }));
      assert.equal(answer.status, 302, JSON.stringify(extra));
      assert.match(answer.location!, /^\/u\/login\?state=/, JSON.stringify(extra));
    }
    assert.ok((await silentCode(browser, { ...webParams, max_age: '3600' })).searchParams.get('code'));
    // Signing in again after prompt=login moves auth_time on, in the same browser.
    await new Promise((resolve) => setTimeout(resolve, 1100));
    const again = await redeem(
      await signIn(browser, { ...webParams, prompt: 'login' }, users.alice.email),
      'web',
      CALLBACK,
    );
    assert.ok(
      (again.auth_time as number) > (first.auth_time as number),
      `${String(again.auth_time)} after ${String(first.auth_time)}`,
    );
  });

  test('SSO: a session from another connection does not sign in silently', async () => {
    const browser = new CookieJarClient(server);
    await signIn(browser, webParams, users.alice.email);
    const answer = await browser.get(authorizeUrl(server, { ...otherParams, connection: 'Partners' }));
    assert.equal(answer.status, 302);
    assert.match(answer.location!, /^\/u\/login\?state=/);
  });

  test('prompt=none with a session too old for max_age: login_required', async () => {
    const browser = new CookieJarClient(server);
    await signIn(browser, webParams, users.alice.email);
    const answer = await browser.get(authorizeUrl(server, { ...webParams, prompt: 'none', max_age: '0' }));
    assert.equal(answer.status, 302);
    const location = new URL(answer.location!);
    assert.equal(location.searchParams.get('error'), 'login_required');
    assert.equal(
      location.searchParams.get('error_description'),
      'Login required: the session does not satisfy the request',
    );
    assert.equal(location.searchParams.get('state'), 'st-1');
  });

  test('prompt=login cannot be skipped by resuming with the old session', async () => {
    const browser = new CookieJarClient(server);
    await signIn(browser, webParams, users.alice.email);
    const answer = await browser.get(authorizeUrl(server, { ...webParams, prompt: 'login' }));
    const state = new URL(answer.location!, server.issuer).searchParams.get('state')!;
    const resumed = await browser.get(`/authorize/resume?state=${state}`);
    assert.equal(resumed.status, 302);
    const location = new URL(resumed.location!);
    assert.deepEqual(Object.fromEntries(location.searchParams), {
      error: 'access_denied',
      error_description: 'The sign-in was not completed',
      state: 'st-1',
      iss: server.issuer,
    });
  });

  test('a sign-in is resumed once: the second visit of the resume URL is an error page', async () => {
    const browser = new CookieJarClient(server);
    const { form } = await openLogin(browser, webParams);
    const posted = await submitLogin(browser, form, users.alice.email);
    assert.equal(posted.status, 303);
    assert.equal((await browser.get(posted.location!)).status, 302);
    const again = await browser.get(posted.location!);
    assert.equal(again.status, 400);
    assertNoFraming(again, 'resume error page');
    assert.equal(again.location, undefined);
  });

  test('a login form left open for more than 30 minutes has expired', async () => {
    const browser = new CookieJarClient(server);
    const { form } = await openLogin(browser, webParams);
    offset += 31 * MINUTE;
    try {
      const answer = await submitLogin(browser, form, users.alice.email);
      assert.equal(answer.status, 400, answer.text);
      assert.equal(alertText(answer), 'This sign-in link has expired. Return to the application and sign in again.');
      assert.equal(setCookieLine(answer, 'gatehouse_session'), undefined);
    } finally {
      offset = 0;
    }
  });

  test(`the tenant's idle_session_lifetime (${IDLE_HOURS} h) ends a session nobody used`, async () => {
    try {
      const justBefore = new CookieJarClient(server);
      await signIn(justBefore, webParams, users.alice.email);
      offset += IDLE_HOURS * 60 * MINUTE - MINUTE;
      assert.ok((await silent(justBefore)).code, 'still alive a minute before the idle limit');
      offset = 0;
      const justAfter = new CookieJarClient(server);
      await signIn(justAfter, webParams, users.alice.email);
      offset += IDLE_HOURS * 60 * MINUTE + MINUTE;
      assert.equal((await silent(justAfter)).error, 'login_required');
    } finally {
      offset = 0;
    }
  });

  test(`an SSO session in use outlives idle_session_lifetime (${IDLE_HOURS} h), not session_lifetime (${ABSOLUTE_HOURS} h)`, async () => {
    const browser = new CookieJarClient(server);
    await signIn(browser, webParams, users.alice.email);
    try {
      for (let step = 1; step <= 2; step++) {
        offset += 50 * MINUTE;
        assert.ok((await silent(browser)).code, `${step * 50} minutes after the sign-in, 50 after the last use`);
      }
      offset += 25 * MINUTE;
      assert.equal((await silent(browser)).error, 'login_required', 'past the absolute lifetime');
    } finally {
      offset = 0;
    }
  });

  test('login_hint fills in the e-mail', async () => {
    const { page } = await openLogin(new CookieJarClient(server), { ...webParams, login_hint: 'hinted@acme.test' });
    assert.match(page.text, /name="email" value="hinted@acme\.test"/);
  });

  test('redirects after a POST are 302 or 303, never 307', async () => {
    const browser = new CookieJarClient(server);
    const { form } = await openLogin(browser, webParams);
    const statuses: [string, number][] = [];
    statuses.push(['POST /u/login', (await submitLogin(browser, form, users.alice.email)).status]);
    statuses.push(['POST /authorize (signed in)', (await browser.post('/authorize', webParams)).status]);
    statuses.push([
      'POST /authorize (error)',
      (await browser.post('/authorize', { ...webParams, prompt: 'bogus' })).status,
    ]);
    statuses.push([
      'POST /authorize (login page)',
      (await new CookieJarClient(server).post('/authorize', webParams)).status,
    ]);
    statuses.push([
      'POST /oidc/logout',
      (await browser.post('/oidc/logout', { client_id: 'web', post_logout_redirect_uri: 'http://localhost:8080/' }))
        .status,
    ]);
    for (const [what, status] of statuses) assert.ok(status === 302 || status === 303, `${what}: ${status}`);
  });

  describe('/v2/logout', () => {
    const rows: { name: string; query: Record<string, string>; status: number; location?: string }[] = [
      {
        name: 'allowed returnTo',
        query: { client_id: 'web', returnTo: 'http://localhost:8080/' },
        status: 302,
        location: 'http://localhost:8080/',
      },
      {
        name: 'scheme and host in upper case',
        query: { client_id: 'web', returnTo: 'HTTP://LOCALHOST:8080/' },
        status: 302,
        location: 'HTTP://LOCALHOST:8080/',
      },
      {
        name: 'host in another case than registered',
        query: { client_id: 'web', returnTo: 'https://app.acme.test/Signed-Out?from=gatehouse' },
        status: 302,
        location: 'https://app.acme.test/Signed-Out?from=gatehouse',
      },
      {
        name: 'path in another case',
        query: { client_id: 'web', returnTo: 'https://app.acme.test/signed-out?from=gatehouse' },
        status: 400,
      },
      {
        name: 'query changed',
        query: { client_id: 'web', returnTo: 'https://App.Acme.test/Signed-Out?from=evil' },
        status: 400,
      },
      { name: 'fragment added', query: { client_id: 'web', returnTo: 'http://localhost:8080/#evil' }, status: 400 },
      { name: 'another path', query: { client_id: 'web', returnTo: 'http://localhost:8080/other' }, status: 400 },
      {
        name: "another client's logout URL",
        query: { client_id: 'web', returnTo: 'http://localhost:8081/' },
        status: 400,
      },
      {
        name: 'userinfo before another host',
        query: { client_id: 'web', returnTo: 'http://localhost:8080@evil.test/' },
        status: 400,
      },
      { name: 'not a URL', query: { client_id: 'web', returnTo: 'javascript:alert(1)' }, status: 400 },
      {
        name: 'client_id and no returnTo: the first allowed logout URL',
        query: { client_id: 'web' },
        status: 302,
        location: 'http://localhost:8080/',
      },
      {
        name: "no client_id: the tenant's allowed logout URL",
        query: { returnTo: 'http://localhost:8080/tenant-logout' },
        status: 302,
        location: 'http://localhost:8080/tenant-logout',
      },
      {
        name: "no client_id: a client's logout URL is not the tenant's",
        query: { returnTo: 'http://localhost:8080/' },
        status: 400,
      },
      { name: 'no client_id and no returnTo: the logged-out page', query: {}, status: 200 },
      { name: 'unknown client', query: { client_id: 'nobody', returnTo: 'http://localhost:8080/' }, status: 400 },
    ];
    for (const row of rows) {
      test(`${row.name}: ${row.status}`, async () => {
        const browser = new CookieJarClient(server);
        await signIn(browser, webParams, users.alice.email);
        const answer = await browser.get(`/v2/logout?${new URLSearchParams(row.query)}`);
        assert.equal(answer.status, row.status, answer.text);
        assert.equal(answer.location, row.location);
        if (row.status === 400) {
          assertNoFraming(answer, 'logout error page');
          assert.equal(setCookieLine(answer, 'gatehouse_session'), undefined);
          return;
        }
        // The session is over: its cookie is cleared and the server forgot it.
        const cleared = setCookieLine(answer, 'gatehouse_session');
        assert.ok(cleared && /expires=thu, 01 jan 1970/i.test(cleared), String(cleared));
        assert.equal((await silent(browser)).error, 'login_required');
      });
    }

    test('the session is gone on the server too, not only the cookie', async () => {
      const browser = new CookieJarClient(server);
      await signIn(browser, webParams, users.alice.email);
      const cookie = browser.cookie('gatehouse_session')!;
      assert.equal((await browser.get('/v2/logout?client_id=web')).status, 302);
      browser.setCookie('gatehouse_session', cookie);
      assert.equal((await silent(browser)).error, 'login_required');
    });
  });

  describe('/oidc/logout (RP-Initiated Logout 1.0)', () => {
    /** A signed-in browser and a real ID token of the web app. */
    async function signedIn() {
      const browser = new CookieJarClient(server);
      const callback = await signIn(browser, webParams, users.alice.email);
      const answer = await postToken(
        server,
        { grant_type: 'authorization_code', code: callback.searchParams.get('code')!, redirect_uri: CALLBACK },
        { authorization: basicAuth('web', WEB_SECRET) },
      );
      return { browser, idToken: answer.body.id_token as string };
    }

    async function forged(idToken: string): Promise<string> {
      const claims = decodeJwt(idToken);
      const { privateKey } = await generateKeyPair('RS256');
      const header = JSON.parse(Buffer.from(idToken.split('.')[0], 'base64url').toString()) as { kid: string };
      return new SignJWT(claims).setProtectedHeader({ alg: 'RS256', kid: header.kid, typ: 'JWT' }).sign(privateKey);
    }

    const rows: {
      name: string;
      params(idToken: string): Promise<Record<string, string>>;
      status: number;
      location?: string;
      method?: 'POST';
    }[] = [
      {
        name: 'id_token_hint, post_logout_redirect_uri and state',
        params: async (t) => ({ id_token_hint: t, post_logout_redirect_uri: 'http://localhost:8080/', state: 'bye 1' }),
        status: 302,
        location: 'http://localhost:8080/?state=bye+1',
      },
      {
        name: 'the same by POST',
        method: 'POST',
        params: async (t) => ({ id_token_hint: t, post_logout_redirect_uri: 'http://localhost:8080/', state: 'bye-2' }),
        status: 302,
        location: 'http://localhost:8080/?state=bye-2',
      },
      {
        name: 'client_id and post_logout_redirect_uri',
        params: async () => ({ client_id: 'web', post_logout_redirect_uri: 'http://localhost:8080/' }),
        status: 302,
        location: 'http://localhost:8080/',
      },
      { name: 'id_token_hint alone: the logged-out page', params: async (t) => ({ id_token_hint: t }), status: 200 },
      {
        name: 'a disallowed post_logout_redirect_uri',
        params: async (t) => ({ id_token_hint: t, post_logout_redirect_uri: 'https://evil.test/', state: 'x' }),
        status: 400,
      },
      {
        name: "another client's post_logout_redirect_uri",
        params: async (t) => ({ id_token_hint: t, post_logout_redirect_uri: 'http://localhost:8081/' }),
        status: 400,
      },
      {
        name: 'post_logout_redirect_uri without id_token_hint or client_id',
        params: async () => ({ post_logout_redirect_uri: 'http://localhost:8080/' }),
        status: 400,
      },
      {
        name: 'a forged id_token_hint',
        params: async (t) => ({ id_token_hint: await forged(t), post_logout_redirect_uri: 'http://localhost:8080/' }),
        status: 400,
      },
      {
        name: 'a malformed id_token_hint',
        params: async () => ({ id_token_hint: 'not.a.jwt', post_logout_redirect_uri: 'http://localhost:8080/' }),
        status: 400,
      },
      {
        name: 'client_id that does not match the id_token_hint',
        params: async (t) => ({
          id_token_hint: t,
          client_id: 'other-web',
          post_logout_redirect_uri: 'http://localhost:8081/',
        }),
        status: 400,
      },
    ];
    for (const row of rows) {
      test(`${row.name}: ${row.status}`, async () => {
        const { browser, idToken } = await signedIn();
        const params = await row.params(idToken);
        const answer =
          row.method === 'POST'
            ? await browser.post('/oidc/logout', params)
            : await browser.get(`/oidc/logout?${new URLSearchParams(params)}`);
        assert.equal(answer.status, row.status, answer.text);
        assert.equal(answer.location, row.location);
        if (row.status === 400) {
          assertNoFraming(answer, 'logout error page');
          assert.equal(setCookieLine(answer, 'gatehouse_session'), undefined);
          return;
        }
        assert.ok(setCookieLine(answer, 'gatehouse_session'));
        // After logout, prompt=none needs a login again.
        assert.equal((await silent(browser)).error, 'login_required');
      });
    }
  });
});

forEachDatabase('request logs during sign-in', (db) => {
  const lines: string[] = [];
  let server: RunningGatehouse;
  before(async () => {
    const port = await freePort();
    const config = testConfig({ databaseUrl: db().url, tenant: signInTenant() }, port);
    const logger = pino({ level: 'info', serializers }, { write: (line: string) => void lines.push(line) });
    const gatehouse = await buildApp(config, { logger });
    await gatehouse.app.listen({ port, host: '127.0.0.1' });
    server = {
      issuer: config.issuer,
      config,
      gatehouse,
      url: (path) => new URL(path.replace(/^\//, ''), config.issuer).toString(),
      close: () => gatehouse.close(),
    };
  });
  after(() => server.close());

  test('never hold a code, login_hint or id_token_hint value', async () => {
    const browser = new CookieJarClient(server);
    const hint = 'hint-value-7f3a@acme.test';
    const pair = pkcePair();
    const callback = await signIn(
      browser,
      { ...webParams, login_hint: hint, code_challenge: pair.challenge, code_challenge_method: 'S256' },
      users.alice.email,
    );
    const code = callback.searchParams.get('code')!;
    const token = await postToken(
      server,
      { grant_type: 'authorization_code', code, redirect_uri: CALLBACK, code_verifier: pair.verifier },
      { authorization: basicAuth('web', WEB_SECRET) },
    );
    const idToken = token.body.id_token as string;
    // Values a careless client might put in a URL.
    await browser.get(`/authorize?${new URLSearchParams({ ...webParams, code, login_hint: hint })}`);
    await browser.get(
      `/oidc/logout?${new URLSearchParams({ id_token_hint: idToken, post_logout_redirect_uri: 'http://localhost:8080/' })}`,
    );
    await new Promise((resolve) => setTimeout(resolve, 100));
    const log = lines.join('');
    assert.match(log, /"url":"\/authorize\?/, 'the requests were logged');
    assert.match(log, /login_hint=%5Bredacted%5D/);
    for (const [what, value] of [
      ['code', code],
      ['login_hint', hint],
      ['login_hint (encoded)', encodeURIComponent(hint)],
      ['id_token_hint', idToken],
      ['password', PASSWORD],
      ['verifier', pair.verifier],
    ]) {
      assert.ok(!log.includes(value), `${what} found in the request log`);
    }
  });
});
