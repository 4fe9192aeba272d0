// A person signs in to two regular web apps (examples/web-app: Express + openid-client, code + PKCE) in
// Chromium, through Gatehouse's real login page: SSO, prompt=login, max_age, a wrong password, both logouts
// and a redirect_uri that is not registered. The SQLite run also refreshes docs/screenshots/.
import assert from 'node:assert/strict';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import express from 'express';
import { auth } from 'express-oauth2-jwt-bearer';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { createWebApp } from '../../examples/web-app/app.js';
import { closeServer, describeInBrowser, launchBrowser, listenOn, saveScreenshot } from '../helpers/chromium.js';
import { forEachDatabase } from '../helpers/each-database.js';
import { acmeApi, alice, API, PASSWORD, scopes, tenant, webClient } from '../helpers/fixtures.js';
import { freePort, type RunningGatehouse, startGatehouse } from '../helpers/server.js';

const EMAIL = 'alice@acme.test';
const SECRET_A = 'dashboard-secret-0123456789-abcdefghijklmnop';
const SECRET_B = 'billing-secret-0123456789-abcdefghijklmnopqr';

/** The apps' callbacks are on the ports where their real servers (examples/web-app) listen. */
function appsTenant(appA: string, appB: string) {
  const appClient = (client_id: string, name: string, client_secret: string, base: string) =>
    webClient({
      client_id,
      client_secret,
      name,
      callbacks: [`${base}/callback`],
      allowed_logout_urls: [`${base}/`],
      web_origins: [base],
      is_first_party: true,
    });
  return tenant({
    resource_servers: [
      acmeApi({
        scopes: scopes(['read:items', 'Read items'], ['write:items', 'Write items']),
        enforce_policies: true,
        token_dialect: 'access_token_authz',
      }),
    ],
    clients: [
      appClient('acme-dashboard', 'Acme Dashboard', SECRET_A, appA),
      appClient('acme-billing', 'Acme Billing', SECRET_B, appB),
    ],
    users: [alice()],
    roles: [
      {
        name: 'reader',
        permissions: [{ resource_server_identifier: API, permission_name: 'read:items' }],
        users: [EMAIL],
      },
    ],
  });
}

describeInBrowser('signing in to a web app in Chromium', () => {
  forEachDatabase('examples/web-app with Universal Login', (db, kind) => {
    const screenshots = kind.name === 'SQLite';
    let gatehouse: RunningGatehouse | undefined;
    let browser: Browser | undefined;
    let context: BrowserContext;
    let page: Page;
    const servers: Server[] = [];
    let appA: string; // the app a person opens first: "Acme Dashboard"
    let appB: string; // a second app of the same tenant: "Acme Billing"
    /** Every URL the browser requested, in order; cleared by each test that reads it. */
    let requested: string[] = [];

    before(async () => {
      const [portA, portB] = [await freePort(), await freePort()];
      // The apps are on localhost and Gatehouse on 127.0.0.1: different sites, as in real life.
      appA = `http://localhost:${portA}`;
      appB = `http://localhost:${portB}`;
      gatehouse = await startGatehouse({ databaseUrl: db().url, tenant: appsTenant(appA, appB) });

      // The API the apps call: checks the access token against Gatehouse's JWKS and echoes its claims.
      const api = express();
      api.use(auth({ issuerBaseURL: gatehouse.issuer, audience: API }));
      api.get('/items', (request, response) => response.json(request.auth!.payload));
      const apiServer = await listenOn(api);
      servers.push(apiServer);
      const apiUrl = `http://127.0.0.1:${(apiServer.address() as AddressInfo).port}/items`;

      const common = {
        issuer: gatehouse.issuer,
        audience: API,
        scope: 'openid profile email read:items write:items',
        apiUrl,
      };
      servers.push(
        await listenOn(
          createWebApp({
            ...common,
            clientId: 'acme-dashboard',
            clientSecret: SECRET_A,
            redirectUri: `${appA}/callback`,
            postLogoutRedirectUri: `${appA}/`,
            cookieName: 'dashboard_session',
          }),
          portA,
        ),
        await listenOn(
          createWebApp({
            ...common,
            clientId: 'acme-billing',
            clientSecret: SECRET_B,
            redirectUri: `${appB}/callback`,
            postLogoutRedirectUri: `${appB}/`,
            cookieName: 'billing_session',
          }),
          portB,
        ),
      );

      browser = await launchBrowser();
      context = await browser.newContext({ viewport: { width: 1024, height: 720 }, locale: 'en-US' });
      context.setDefaultTimeout(15_000);
      page = await context.newPage();
      page.on('request', (request) => requested.push(request.url()));
    });

    after(async () => {
      await browser?.close().catch(() => {});
      for (const server of servers) await closeServer(server);
      await gatehouse?.close();
    });

    const loginPage = () => new RegExp(`^${gatehouse!.issuer.replace(/[.]/g, '\\.')}u/login\\?state=`);
    const profile = async (base: string) => {
      const response = await page.goto(`${base}/profile`);
      assert.equal(response!.status(), 200);
      return (await response!.json()) as {
        id_token_claims: Record<string, unknown>;
        userinfo: Record<string, unknown>;
        scope: string;
      };
    };
    async function submitLogin(email: string, password: string) {
      await page.getByLabel('Email address').fill(email);
      await page.getByLabel('Password').fill(password);
      await page.getByRole('button', { name: 'Continue' }).click();
    }
    async function expectSignedInAt(base: string) {
      await page.waitForURL(`${base}/`);
      assert.equal(await page.locator('#signed-in').textContent(), `Signed in as ${EMAIL}`);
    }

    test('a person logs in on the login page and lands on the app signed in', async () => {
      await page.goto(`${appA}/`);
      await page.getByRole('link', { name: 'Log in' }).click();
      await page.waitForURL(loginPage());
      assert.equal(await page.title(), 'Log in | Acme Dashboard');
      assert.equal(await page.getByRole('heading', { level: 1 }).textContent(), 'Welcome');
      assert.match(await page.locator('body').innerText(), /Log in to Acme Dashboard to continue\./);
      assert.equal(await page.locator('input[type=hidden][name=_csrf]').count(), 1);
      if (screenshots) await saveScreenshot(page, 'login');

      const callback = page.waitForRequest((request) => request.url().startsWith(`${appA}/callback?`));
      await submitLogin(EMAIL, PASSWORD);
      const params = new URL((await callback).url()).searchParams;
      assert.deepEqual([...params.keys()].sort(), ['code', 'iss', 'state']);
      assert.equal(params.get('iss'), gatehouse!.issuer);
      await expectSignedInAt(appA);
    });

    test("the app's /profile holds a validated ID token and the /userinfo answer; RBAC shaped the access token", async () => {
      const { id_token_claims: claims, userinfo, scope } = await profile(appA);
      assert.equal(claims.iss, gatehouse!.issuer);
      assert.equal(claims.aud, 'acme-dashboard');
      assert.match(String(claims.sub), /^auth0\|/);
      assert.equal(claims.email, EMAIL);
      assert.equal(claims.email_verified, true);
      assert.equal(claims.name, 'Alice');
      for (const claim of ['nonce', 'sid', 'auth_time', 'iat', 'exp'])
        assert.ok(claims[claim] !== undefined, `ID token has ${claim}`);
      assert.equal(userinfo.sub, claims.sub);
      assert.equal(userinfo.email, EMAIL);
      assert.equal(userinfo.email_verified, true);
      assert.equal(userinfo.name, 'Alice');
      // enforce_policies: write:items is dropped, not refused, since Alice's role gives only read:items.
      assert.equal(scope, 'openid profile email read:items');

      const response = await page.goto(`${appA}/call-api`);
      assert.equal(response!.status(), 200);
      const token = (await response!.json()) as Record<string, unknown>;
      assert.equal(token.sub, claims.sub);
      assert.deepEqual(token.aud, [API, `${gatehouse!.issuer}userinfo`]);
      assert.equal(token.azp, 'acme-dashboard');
      assert.equal(token.scope, 'openid profile email read:items');
      assert.deepEqual(token.permissions, ['read:items']);
    });

    test('a second app signs in through the SSO session without showing the form', async () => {
      const first = (await profile(appA)).id_token_claims;
      requested = [];
      await page.goto(`${appB}/login`);
      await expectSignedInAt(appB);
      assert.deepEqual(
        requested.filter((url) => url.includes('/u/login')),
        [],
      );
      const second = (await profile(appB)).id_token_claims;
      assert.equal(second.aud, 'acme-billing');
      assert.equal(second.sub, first.sub);
      assert.equal(second.sid, first.sid, 'one SSO session');
      assert.equal(second.auth_time, first.auth_time, 'no new authentication');
    });

    test('prompt=login shows the form again although a session exists', async () => {
      const before = (await profile(appA)).id_token_claims;
      await new Promise((resolve) => setTimeout(resolve, 1100));
      await page.goto(`${appA}/login?prompt=login`);
      await page.waitForURL(loginPage());
      await submitLogin(EMAIL, PASSWORD);
      await expectSignedInAt(appA);
      const after = (await profile(appA)).id_token_claims;
      assert.ok(Number(after.auth_time) > Number(before.auth_time), 'a new authentication');
    });

    test('max_age: a session older than max_age asks for the password again; a younger one does not', async () => {
      requested = [];
      await page.goto(`${appA}/login?max_age=3600`);
      await expectSignedInAt(appA);
      assert.deepEqual(
        requested.filter((url) => url.includes('/u/login')),
        [],
      );

      await new Promise((resolve) => setTimeout(resolve, 1500));
      await page.goto(`${appA}/login?max_age=1`);
      await page.waitForURL(loginPage());
      await submitLogin(EMAIL, PASSWORD);
      // openid-client checks auth_time against max_age.
      await expectSignedInAt(appA);
    });

    test('a wrong password, or an unknown e-mail, shows "Wrong email or password" and lets the person try again', async () => {
      await page.goto(`${appA}/login?prompt=login`);
      await page.waitForURL(loginPage());
      const posted = page.waitForResponse(
        (response) => response.request().method() === 'POST' && response.url().includes('/u/login'),
      );
      await submitLogin(EMAIL, 'not the password');
      assert.equal((await posted).status(), 400);
      assert.match(page.url(), loginPage());
      assert.equal((await page.getByRole('alert').textContent())?.trim(), 'Wrong email or password');
      assert.equal(await page.getByLabel('Email address').inputValue(), EMAIL);
      if (screenshots) await saveScreenshot(page, 'login-error');

      await submitLogin('nobody@acme.test', 'not the password');
      await page.waitForLoadState();
      assert.equal((await page.getByRole('alert').textContent())?.trim(), 'Wrong email or password');

      await submitLogin(EMAIL, PASSWORD);
      await expectSignedInAt(appA);
    });

    /** The gatehouse_session cookie the browser holds now (undefined when none). */
    const ssoCookie = async () =>
      (await context.cookies(gatehouse!.issuer)).find((cookie) => cookie.name === 'gatehouse_session');

    /** After a logout: no cookie left, and the old cookie, put back as a thief would, no longer signs anyone in. */
    async function expectSessionEnded(oldCookie: NonNullable<Awaited<ReturnType<typeof ssoCookie>>>, next: string) {
      assert.equal(await ssoCookie(), undefined);
      await context.addCookies([oldCookie]);
      await page.goto(`${next}/login`);
      await page.waitForURL((url) => loginPage().test(url.href) || url.href === `${next}/`);
      assert.match(page.url(), loginPage(), 'the ended session still signed the browser in');
    }

    test('/oidc/logout ends the SSO session and returns to the allowed logout URL', async () => {
      const cookie = await ssoCookie();
      assert.ok(cookie, 'signed in');
      assert.equal(cookie.httpOnly, true);
      assert.equal(cookie.sameSite, 'Lax');
      await page.goto(`${appA}/`);
      requested = [];
      await page.getByRole('link', { name: 'Log out (OpenID Connect)' }).click();
      await page.waitForURL(`${appA}/`);
      assert.equal(page.url(), `${appA}/`);
      await page.getByRole('link', { name: 'Log in' }).waitFor();
      const logout = new URL(requested.find((url) => url.startsWith(gatehouse!.url('/oidc/logout')))!);
      assert.deepEqual([...logout.searchParams.keys()].sort(), [
        'client_id',
        'id_token_hint',
        'post_logout_redirect_uri',
      ]);
      assert.equal(logout.searchParams.get('post_logout_redirect_uri'), `${appA}/`);

      // The other app's next sign-in needs the password: the session is gone, not just this app's.
      await expectSessionEnded(cookie, appB);
      await submitLogin(EMAIL, PASSWORD);
      await expectSignedInAt(appB);
    });

    test("/v2/logout (Auth0's) ends the SSO session and returns to returnTo", async () => {
      const cookie = await ssoCookie();
      assert.ok(cookie, 'signed in');
      await page.goto(`${appB}/`);
      requested = [];
      await page.getByRole('link', { name: 'Log out (Auth0 /v2/logout)' }).click();
      await page.waitForURL(`${appB}/`);
      assert.equal(page.url(), `${appB}/`);
      await page.getByRole('link', { name: 'Log in' }).waitFor();
      const logout = new URL(requested.find((url) => url.startsWith(gatehouse!.url('/v2/logout')))!);
      assert.equal(logout.searchParams.get('client_id'), 'acme-billing');
      assert.equal(logout.searchParams.get('returnTo'), `${appB}/`);

      await expectSessionEnded(cookie, appA);
      await context.clearCookies({ name: 'gatehouse_session' });
    });

    // Server bug: /u/login starts a new session row for every login and only replaces the cookie, so the
    // session a browser had before prompt=login (or max_age) outlives the logout.
    test('a logout also ends the session that a re-authentication (prompt=login) replaced', async () => {
      try {
        await page.goto(`${appA}/login`);
        await page.waitForURL(loginPage());
        await submitLogin(EMAIL, PASSWORD);
        await expectSignedInAt(appA);
        const before = await ssoCookie();
        assert.ok(before, 'signed in');
        await page.goto(`${appA}/login?prompt=login`);
        await page.waitForURL(loginPage());
        await submitLogin(EMAIL, PASSWORD);
        await expectSignedInAt(appA);
        await page.getByRole('link', { name: 'Log out (OpenID Connect)' }).click();
        await page.waitForURL(`${appA}/`);
        await expectSessionEnded(before, appB);
      } finally {
        await context.clearCookies({ name: 'gatehouse_session' });
      }
    });

    test('login_hint fills in the e-mail address', async () => {
      await page.goto(`${appA}/login?login_hint=${encodeURIComponent(EMAIL)}`);
      await page.waitForURL(loginPage());
      assert.equal(await page.getByLabel('Email address').inputValue(), EMAIL);
    });

    test('prompt=none without a session comes back to the app as login_required', async () => {
      await page.goto(`${appA}/login?prompt=none`);
      await page.waitForURL((url) => url.href.startsWith(`${appA}/callback`));
      assert.match((await page.locator('#sign-in-error').textContent()) ?? '', /^login_required: /);
    });

    test('logging out with no return URL shows the logged-out page', async () => {
      const response = await page.goto(gatehouse!.url('/oidc/logout'));
      assert.equal(response!.status(), 200);
      assert.equal(await page.getByRole('heading', { level: 1 }).textContent(), 'You have been logged out');
      if (screenshots) await saveScreenshot(page, 'logged-out');
    });

    for (const [name, redirectUri] of [
      ['not registered at all', () => 'https://evil.example/callback'],
      ["another client's callback", () => `${appB}/callback`],
      ['a registered callback with a trailing slash', () => `${appA}/callback/`],
    ] as const) {
      test(`a redirect_uri that is ${name} gets a 400 error page and nothing is redirected`, async () => {
        const url = new URL(gatehouse!.url('/authorize'));
        url.search = new URLSearchParams({
          client_id: 'acme-dashboard',
          redirect_uri: redirectUri(),
          response_type: 'code',
          scope: 'openid',
          state: 'st4te',
        }).toString();
        requested = [];
        const response = await page.goto(url.href);
        assert.equal(response!.status(), 400);
        assert.equal(page.url(), url.href);
        assert.deepEqual(requested, [url.href], 'no redirect was followed');
        assert.equal(await page.getByRole('heading', { level: 1 }).textContent(), 'Invalid request');
        assert.match(await page.getByRole('alert').innerText(), /is not in the list of allowed callback URLs/);
        if (screenshots && name === 'not registered at all') await saveScreenshot(page, 'error-page');
      });
    }
  });
});
