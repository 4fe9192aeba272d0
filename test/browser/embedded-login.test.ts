// Embedded login with auth0.js (unchanged, its dist/auth0.min.js) in Chromium, from a page on a registered web
// origin: webAuth.login({ realm, username, password }) → POST /co/authenticate (CORS preflight, credentials) →
// /authorize with the login ticket → the callback with a code, which the app's backend redeems; and
// webAuth.signup() creating the user across origins; webAuth.passwordlessLogin() redeeming an e-mailed code through
// /co/authenticate the same way. A wrong password reaches auth0.js's callback as Auth0's error.
//
// Cookies: on an http issuer the verifier cookie is SameSite=Lax, so the page and Gatehouse must be same-site:
// both run on `localhost`, on different ports (as in spa.test.ts).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { after, before, test } from 'node:test';
import { decodeJwt } from 'jose';
import type { Browser, Page } from 'playwright-core';
import { closeServer, describeInBrowser, launchBrowser, listenOn } from '../helpers/chromium.js';
import { forEachDatabase } from '../helpers/each-database.js';
import { alice, DB, PASSWORD, tenant, WEB_SECRET, webClient } from '../helpers/fixtures.js';
import { basicAuth, postToken } from '../helpers/http-client.js';
import { freePort, type RunningGatehouse, startGatehouse } from '../helpers/server.js';
import { codeIn, startSmtp, type TestSmtp } from '../helpers/smtp.js';

const CLIENT_ID = 'embedded';

declare global {
  interface Window {
    embedded: {
      login(email: string, password: string): void;
      signup(email: string, password: string): Promise<{ ok: boolean; value: Record<string, unknown> }>;
      passwordless(email: string, code: string): void;
      loginError?: Record<string, unknown>;
    };
  }
}

/** The app's page: auth0.js from node_modules, a WebAuth for Gatehouse, and the two calls the test makes. */
function appPage(issuerOrigin: string, appOrigin: string): string {
  const options = JSON.stringify({
    domain: issuerOrigin,
    clientID: CLIENT_ID,
    redirectUri: `${appOrigin}/callback`,
    responseType: 'code',
    scope: 'openid',
  });
  return `<!doctype html><html><head><meta charset="utf-8"><title>Embedded login</title>
<script src="/auth0.min.js"></script></head><body><p>Embedded login</p><script>
const webAuth = new auth0.WebAuth(${options});
window.embedded = {
  login(email, password) {
    webAuth.login({ realm: ${JSON.stringify(DB)}, username: email, password }, (error) => {
      window.embedded.loginError = { code: error.code, description: error.description };
    });
  },
  passwordless(email, verificationCode) {
    webAuth.passwordlessLogin({ connection: 'email', email, verificationCode }, (error) => {
      window.embedded.loginError = { code: error.code, description: error.description };
    });
  },
  signup(email, password) {
    return new Promise((resolve) =>
      webAuth.signup({ connection: ${JSON.stringify(DB)}, email, password }, (error, result) =>
        resolve(error ? { ok: false, value: { code: error.code, description: error.description } } : { ok: true, value: result }),
      ),
    );
  },
};
</script></body></html>`;
}

function auth0Bundle(): string {
  const require = createRequire(import.meta.url);
  return readFileSync(join(dirname(require.resolve('auth0-js/package.json')), 'dist', 'auth0.min.js'), 'utf8');
}

describeInBrowser('embedded login with auth0.js in Chromium', () => {
  forEachDatabase('auth0.js against Gatehouse', (db) => {
    let gatehouse: RunningGatehouse | undefined;
    let smtp: TestSmtp | undefined;
    let app: Server | undefined;
    let browser: Browser | undefined;
    let page: Page;
    let appOrigin: string;
    /**
     * Every answer the browser got from Gatehouse, with its CORS headers. (Chromium does not show its preflights
     * to the page's events: the HTTP tests check those.)
     */
    let requests: { method: string; url: URL; status: number; allowOrigin?: string; allowCredentials?: string }[] = [];

    before(async () => {
      const [gatehousePort, appPort] = [await freePort(), await freePort()];
      const issuerOrigin = `http://localhost:${gatehousePort}`;
      appOrigin = `http://localhost:${appPort}`;
      smtp = await startSmtp();
      gatehouse = await startGatehouse({
        databaseUrl: db().url,
        port: gatehousePort,
        env: { GATEHOUSE_ISSUER: `${issuerOrigin}/`, ...smtp.env },
        tenant: tenant({
          clients: [
            webClient({
              client_id: CLIENT_ID,
              callbacks: [`${appOrigin}/callback`],
              web_origins: [appOrigin],
              cross_origin_authentication: true,
            }),
          ],
          users: [alice({ user_id: 'alice' })],
          connections: [
            { name: DB, strategy: 'auth0', enabled_clients: [CLIENT_ID] },
            { name: 'email', strategy: 'email', enabled_clients: [CLIENT_ID] },
          ],
        }),
      });
      const bundle = auth0Bundle();
      const html = appPage(issuerOrigin, appOrigin);
      app = await listenOn(
        createServer((request, response) => {
          const path = new URL(request.url ?? '/', appOrigin).pathname;
          if (path === '/auth0.min.js') {
            response.writeHead(200, { 'content-type': 'text/javascript' }).end(bundle);
          } else if (path === '/' || path === '/callback') {
            response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(html);
          } else {
            response.writeHead(404).end();
          }
        }),
        appPort,
      );
      browser = await launchBrowser();
      const context = await browser.newContext({ locale: 'en-US' });
      context.setDefaultTimeout(15_000);
      context.on('response', (response) => {
        const url = new URL(response.url());
        const headers = response.headers();
        if (url.origin === issuerOrigin)
          requests.push({
            method: response.request().method(),
            url,
            status: response.status(),
            allowOrigin: headers['access-control-allow-origin'],
            allowCredentials: headers['access-control-allow-credentials'],
          });
      });
      page = await context.newPage();
    });

    after(async () => {
      await browser?.close().catch(() => {});
      await closeServer(app);
      await gatehouse?.close();
      await smtp?.stop();
    });

    async function openApp() {
      requests = [];
      await page.goto(`${appOrigin}/`);
      await page.waitForFunction(() => window.embedded !== undefined);
    }

    test('webAuth.login: /co/authenticate from the page, /authorize with the ticket, the code at the callback', async () => {
      await openApp();
      await Promise.all([
        page.waitForURL(/\/callback\?/),
        page.evaluate((password) => window.embedded.login('alice@acme.test', password), PASSWORD),
      ]);
      const callback = new URL(page.url());
      assert.equal(callback.origin, appOrigin);
      const code = callback.searchParams.get('code');
      assert.ok(code, callback.href);

      // auth0.js sends it withCredentials: the answer must name the exact origin and allow credentials.
      const co = requests.filter((r) => r.url.pathname === '/co/authenticate');
      assert.deepEqual(
        co.map((r) => [r.method, r.status, r.allowOrigin, r.allowCredentials]),
        [['POST', 200, appOrigin, 'true']],
      );
      const authorize = requests.find((r) => r.url.pathname === '/authorize');
      assert.ok(authorize?.url.searchParams.get('login_ticket'), authorize?.url.href);
      assert.equal(authorize?.url.searchParams.get('realm'), DB);

      const tokens = await postToken(
        gatehouse!,
        { grant_type: 'authorization_code', code, redirect_uri: `${appOrigin}/callback` },
        { authorization: basicAuth(CLIENT_ID, WEB_SECRET) },
      );
      assert.equal(tokens.status, 200, JSON.stringify(tokens.body));
      assert.equal(decodeJwt(tokens.body.id_token as string).sub, 'auth0|alice');
    });

    test("webAuth.login with a wrong password: auth0.js's callback gets Auth0's error, no redirect", async () => {
      await openApp();
      await page.evaluate(() => window.embedded.login('alice@acme.test', 'not-the-password'));
      await page.waitForFunction(() => window.embedded.loginError !== undefined);
      // The page could read the 403's body: the error answer carries the CORS headers too.
      assert.deepEqual(await page.evaluate(() => window.embedded.loginError), {
        code: 'access_denied',
        description: 'Wrong email or password.',
      });
      assert.equal(new URL(page.url()).pathname, '/');
    });

    test('webAuth.signup from the web origin creates the user (CORS), who can then log in', async () => {
      await openApp();
      const result = await page.evaluate(
        (password) => window.embedded.signup('new-user@acme.test', password),
        PASSWORD,
      );
      assert.equal(result.ok, true, JSON.stringify(result.value));
      assert.equal(result.value.email, 'new-user@acme.test');
      const signup = requests.filter((r) => r.url.pathname === '/dbconnections/signup');
      assert.deepEqual(
        signup.map((r) => [r.method, r.status, r.allowOrigin]),
        [['POST', 200, appOrigin]],
      );

      await Promise.all([
        page.waitForURL(/\/callback\?/),
        page.evaluate((password) => window.embedded.login('new-user@acme.test', password), PASSWORD),
      ]);
      assert.ok(new URL(page.url()).searchParams.get('code'), page.url());
    });

    test('webAuth.passwordlessLogin: an e-mailed code through /co/authenticate, the code at the callback', async () => {
      // The app's backend starts the sign-in (a confidential client sends its secret, which a page cannot).
      const started = await fetch(gatehouse!.url('/passwordless/start'), {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: basicAuth(CLIENT_ID, WEB_SECRET) },
        body: JSON.stringify({
          client_id: CLIENT_ID,
          connection: 'email',
          email: 'pat@acme.test',
          send: 'code',
        }),
      });
      assert.equal(started.status, 200, await started.text());
      const code = codeIn((await smtp!.nextMessage('pat@acme.test')).text);

      await openApp();
      await page.evaluate(() => window.embedded.passwordless('pat@acme.test', '000000'.replace(/0/g, '9')));
      await page.waitForFunction(() => window.embedded.loginError !== undefined);
      assert.equal((await page.evaluate(() => window.embedded.loginError))?.code, 'access_denied');

      await openApp();
      await Promise.all([
        page.waitForURL(/\/callback\?/),
        page.evaluate(([email, otp]) => window.embedded.passwordless(email, otp), ['pat@acme.test', code] as const),
      ]);
      const callback = new URL(page.url());
      const authorize = requests.find((r) => r.url.pathname === '/authorize');
      assert.equal(authorize?.url.searchParams.get('realm'), 'email');
      const tokens = await postToken(
        gatehouse!,
        {
          grant_type: 'authorization_code',
          code: callback.searchParams.get('code') ?? '',
          redirect_uri: `${appOrigin}/callback`,
        },
        { authorization: basicAuth(CLIENT_ID, WEB_SECRET) },
      );
      assert.equal(tokens.status, 200, JSON.stringify(tokens.body));
      const claims = decodeJwt(tokens.body.id_token as string);
      assert.match(String(claims.sub), /^email\|/, 'the passwordless user, created on first use');
    });
  });
});
