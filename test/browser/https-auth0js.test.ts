// auth0.js (its dist/auth0.min.js, unchanged) in Chromium against `gatehouse start --https`, configured with
// `domain: 'localhost:<port>'` only. Chromium trusts the local CA through the switch the start prints
// (--ignore-certificate-errors-spki-list with the CA's SPKI hash), not by ignoring every certificate error.
// webAuth.login: POST /co/authenticate across origins, /authorize with the ticket, the code at the app's callback.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { after, before, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { describeInBrowser, launchBrowser } from '../helpers/chromium.js';
import { type CliProcess, killAllStartedChildren, spawnCli } from '../helpers/cli.js';
import { forEachDatabase } from '../helpers/each-database.js';
import { alice, DB, PASSWORD, tenant, webClient } from '../helpers/fixtures.js';
import { freePort, TEST_SECRET, writeTenantFile } from '../helpers/server.js';

const CLIENT_ID = 'embedded';

declare global {
  interface Window {
    httpsLogin: { login(email: string, password: string): void; error?: Record<string, unknown> };
  }
}

function appPage(domain: string, appOrigin: string): string {
  const options = JSON.stringify({
    domain,
    clientID: CLIENT_ID,
    redirectUri: `${appOrigin}/callback`,
    responseType: 'code',
  });
  return `<!doctype html><html><head><meta charset="utf-8"><title>HTTPS login</title>
<script src="/auth0.min.js"></script></head><body><script>
const webAuth = new auth0.WebAuth(${options});
window.httpsLogin = {
  login(email, password) {
    webAuth.login({ realm: ${JSON.stringify(DB)}, username: email, password }, (error) => {
      window.httpsLogin.error = { code: error.code, description: error.description };
    });
  },
};
</script></body></html>`;
}

after(killAllStartedChildren);

describeInBrowser('auth0.js in Chromium over the built-in HTTPS', () => {
  forEachDatabase('auth0.js against gatehouse start --https', (db) => {
    let cli: CliProcess;
    let app: Server | undefined;
    let browser: Browser | undefined;
    let page: Page;
    let appOrigin: string;
    let port: number;

    before(async () => {
      const appPort = await freePort();
      port = await freePort();
      // The app is served over https too, with Gatehouse's own localhost certificate: same-site with Gatehouse
      // (schemes and hosts match; ports do not count), as an app and its tenant on one domain are.
      appOrigin = `https://localhost:${appPort}`;
      const tlsDir = dirname(writeTenantFile({}, 'placeholder.json'));
      const tenantFile = tenant({
        clients: [
          webClient({
            client_id: CLIENT_ID,
            callbacks: [`${appOrigin}/callback`],
            web_origins: [appOrigin],
            cross_origin_authentication: true,
          }),
        ],
        users: [alice({ user_id: 'alice' })],
      });
      cli = spawnCli(['start', '--https'], {
        GATEHOUSE_PORT: String(port),
        GATEHOUSE_WORKERS: '1',
        GATEHOUSE_DATABASE_URL: db().url,
        GATEHOUSE_SECRET: TEST_SECRET,
        GATEHOUSE_BOOTSTRAP: writeTenantFile(tenantFile),
        GATEHOUSE_TLS_DIR: tlsDir,
        GATEHOUSE_LOG_LEVEL: 'warn',
      });
      const spki = (await cli.waitForStdout(/--ignore-certificate-errors-spki-list=(\S+)/))[1];
      const require = createRequire(import.meta.url);
      const bundle = readFileSync(join(dirname(require.resolve('auth0-js/package.json')), 'dist', 'auth0.min.js'));
      const html = appPage(`localhost:${port}`, appOrigin);
      const served = readFileSync(join(tlsDir, 'gatehouse-tls.pem'), 'utf8');
      app = createServer({ key: served, cert: served }, (request, response) => {
        const path = new URL(request.url ?? '/', appOrigin).pathname;
        if (path === '/auth0.min.js') response.writeHead(200, { 'content-type': 'text/javascript' }).end(bundle);
        else if (path === '/' || path === '/callback')
          response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(html);
        else response.writeHead(404).end();
      });
      await new Promise<void>((resolve, reject) => app!.listen(appPort, '127.0.0.1', resolve).once('error', reject));
      browser = await launchBrowser([`--ignore-certificate-errors-spki-list=${spki}`]);
      const context = await browser.newContext({ locale: 'en-US' });
      context.setDefaultTimeout(15_000);
      page = await context.newPage();
    });

    after(async () => {
      await browser?.close().catch(() => {});
      app?.closeAllConnections();
      await new Promise<void>((resolve) => (app?.listening ? app.close(() => resolve()) : resolve()));
      await cli?.stop();
    });

    test('webAuth.login: the page reaches https://localhost, and the browser comes back to the callback with a code', async () => {
      await page.goto(`${appOrigin}/`);
      await page.waitForFunction(() => window.httpsLogin !== undefined);
      await Promise.all([
        page.waitForURL(/\/callback\?/),
        page.evaluate((password) => window.httpsLogin.login('alice@acme.test', password), PASSWORD),
      ]);
      const callback = new URL(page.url());
      assert.equal(callback.origin, appOrigin);
      assert.ok(callback.searchParams.get('code'), callback.href);
      // On an https issuer the verifier and session cookies are Secure; SameSite=None.
      const cookies = await page.context().cookies(`https://localhost:${port}/`);
      const session = cookies.find((c) => c.name === 'gatehouse_session');
      assert.deepEqual([session?.secure, session?.sameSite, session?.httpOnly], [true, 'None', true]);
    });
  });
});
