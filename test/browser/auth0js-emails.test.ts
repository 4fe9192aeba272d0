// auth0.js (unchanged, its dist/auth0.min.js) in Chromium, from a page on a single-page app's registered web
// origin, calling the endpoints that send e-mails, with every e-mail read from a real mail server (smtp-server,
// GATEHOUSE_SMTP_URL):
//  - webAuth.changePassword → POST /dbconnections/change_password across origins (CORS, preflight) → the reset
//    e-mail, whose link opens the reset page;
//  - webAuth.passwordlessStart with send: 'code' → POST /passwordless/start → the code e-mail → the page redeems
//    the code with Auth0's passwordless OTP grant at /oauth/token (fetch, CORS) for the user's tokens.
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
import { alice, DB, dbConnection, spaClient, tenant } from '../helpers/fixtures.js';
import { freePort, type RunningGatehouse, startGatehouse } from '../helpers/server.js';
import { codeIn, linksIn, startSmtp, type TestSmtp } from '../helpers/smtp.js';

const CLIENT_ID = 'acme-spa';
const OTP_GRANT = 'http://auth0.com/oauth/grant-type/passwordless/otp';
const ALICE = 'alice@acme.test';
const NORA = 'nora@acme.test';

interface Outcome {
  ok: boolean;
  value: unknown;
}

declare global {
  interface Window {
    emails: {
      changePassword(email: string): Promise<Outcome>;
      passwordlessStart(email: string): Promise<Outcome>;
      redeem(email: string, otp: string): Promise<{ status: number; body: Record<string, unknown> }>;
    };
  }
}

/** The app's page: auth0.js from node_modules, a WebAuth for Gatehouse, and the calls the test makes. */
function appPage(issuer: string, appOrigin: string): string {
  const options = JSON.stringify({
    domain: new URL(issuer).origin,
    clientID: CLIENT_ID,
    redirectUri: `${appOrigin}/`,
    responseType: 'code',
  });
  return `<!doctype html><html><head><meta charset="utf-8"><title>Acme SPA</title>
<script src="/auth0.min.js"></script></head><body><p>Acme SPA</p><script>
const webAuth = new auth0.WebAuth(${options});
const outcome = (resolve) => (error, result) =>
  resolve(error ? { ok: false, value: { code: error.code, description: error.description } } : { ok: true, value: result });
window.emails = {
  changePassword(email) {
    return new Promise((resolve) => webAuth.changePassword({ connection: ${JSON.stringify(DB)}, email }, outcome(resolve)));
  },
  passwordlessStart(email) {
    return new Promise((resolve) =>
      webAuth.passwordlessStart({ connection: 'email', send: 'code', email }, outcome(resolve)),
    );
  },
  async redeem(email, otp) {
    const response = await fetch(${JSON.stringify(`${issuer}oauth/token`)}, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ grant_type: ${JSON.stringify(OTP_GRANT)}, client_id: ${JSON.stringify(CLIENT_ID)},
        realm: 'email', username: email, otp, scope: 'openid profile email' }),
    });
    return { status: response.status, body: await response.json() };
  },
};
</script></body></html>`;
}

function auth0Bundle(): string {
  const require = createRequire(import.meta.url);
  return readFileSync(join(dirname(require.resolve('auth0-js/package.json')), 'dist', 'auth0.min.js'), 'utf8');
}

describeInBrowser('auth0.js e-mail calls in Chromium', () => {
  forEachDatabase('changePassword and passwordlessStart from a web origin', (db) => {
    let smtp: TestSmtp | undefined;
    let gatehouse: RunningGatehouse | undefined;
    let app: Server | undefined;
    let browser: Browser | undefined;
    let page: Page;
    let appOrigin: string;
    /** Gatehouse's answers the page got, with their CORS header. */
    let answers: { method: string; path: string; status: number; allowOrigin?: string }[] = [];

    before(async () => {
      smtp = await startSmtp();
      const appPort = await freePort();
      appOrigin = `http://localhost:${appPort}`;
      const spa = spaClient({
        client_id: CLIENT_ID,
        callbacks: [`${appOrigin}/`],
        web_origins: [appOrigin],
        grant_types: ['authorization_code', OTP_GRANT],
      });
      gatehouse = await startGatehouse({
        databaseUrl: db().url,
        env: smtp.env,
        tenant: tenant({
          clients: [spa],
          users: [alice()],
          connections: [dbConnection([spa]), { name: 'email', strategy: 'email', enabled_clients: [CLIENT_ID] }],
        }),
      });
      const bundle = auth0Bundle();
      const html = appPage(gatehouse.issuer, appOrigin);
      app = await listenOn(
        createServer((request, response) => {
          const path = new URL(request.url ?? '/', appOrigin).pathname;
          if (path === '/auth0.min.js') response.writeHead(200, { 'content-type': 'text/javascript' }).end(bundle);
          else if (path === '/') response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(html);
          else response.writeHead(404).end();
        }),
        appPort,
      );
      browser = await launchBrowser();
      const context = await browser.newContext({ locale: 'en-US' });
      context.setDefaultTimeout(15_000);
      const issuerOrigin = new URL(gatehouse.issuer).origin;
      context.on('response', (response) => {
        const url = new URL(response.url());
        if (url.origin === issuerOrigin)
          answers.push({
            method: response.request().method(),
            path: url.pathname,
            status: response.status(),
            allowOrigin: response.headers()['access-control-allow-origin'],
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
      answers = [];
      await page.goto(`${appOrigin}/`);
      await page.waitForFunction(() => window.emails !== undefined);
    }

    test('webAuth.changePassword from the web origin: the reset e-mail arrives and its link opens the reset page', async () => {
      await openApp();
      const result = await page.evaluate((email) => window.emails.changePassword(email), ALICE);
      assert.deepEqual(result, { ok: true, value: "We've just sent you an email to reset your password." });
      assert.deepEqual(
        answers.filter((a) => a.path === '/dbconnections/change_password'),
        [{ method: 'POST', path: '/dbconnections/change_password', status: 200, allowOrigin: appOrigin }],
      );

      const mail = await smtp!.nextMessage(ALICE);
      const link = linksIn(mail.text).find((url) => url.startsWith(gatehouse!.url('/u/reset-password?ticket=')));
      assert.ok(link, mail.text);
      const opened = await page.goto(link);
      assert.equal(opened!.status(), 200);
      assert.equal(await page.getByRole('heading', { level: 1 }).textContent(), 'Change Your Password');
    });

    test("webAuth.passwordlessStart (send: 'code'): the code e-mail arrives; the OTP grant from the page signs in", async () => {
      await openApp();
      const started = await page.evaluate((email) => window.emails.passwordlessStart(email), NORA);
      assert.equal(started.ok, true, JSON.stringify(started.value));
      assert.equal((started.value as Record<string, unknown>).email, NORA);
      assert.deepEqual(
        answers.filter((a) => a.path === '/passwordless/start'),
        [{ method: 'POST', path: '/passwordless/start', status: 200, allowOrigin: appOrigin }],
      );

      const code = codeIn((await smtp!.nextMessage(NORA)).text);
      const wrong = await page.evaluate(([email, otp]) => window.emails.redeem(email, otp), [
        NORA,
        code === '000000' ? '111111' : '000000',
      ] as const);
      assert.equal(wrong.status, 403, JSON.stringify(wrong.body));
      assert.equal(wrong.body.error, 'invalid_grant');

      const tokens = await page.evaluate(([email, otp]) => window.emails.redeem(email, otp), [NORA, code] as const);
      assert.equal(tokens.status, 200, JSON.stringify(tokens.body));
      const claims = decodeJwt(tokens.body.id_token as string);
      assert.match(String(claims.sub), /^email\|/);
      assert.equal(claims.aud, CLIENT_ID);
      assert.equal(claims.email, NORA);
      assert.equal(claims.email_verified, true);
      assert.equal(typeof tokens.body.access_token, 'string');
      assert.equal(
        answers.filter((a) => a.path === '/oauth/token').every((a) => a.allowOrigin === appOrigin),
        true,
      );
    });
  });
});
