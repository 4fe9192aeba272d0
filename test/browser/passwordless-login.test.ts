// A person signs in to a regular web app (examples/web-app: Express + openid-client, code + PKCE) in Chromium with
// a one-time code by e-mail, on Gatehouse's passwordless page: Email address, Continue, a wrong code (Auth0's
// text), the code from the e-mail, Continue, and the app holds a verified e-mail. The SQLite run also refreshes
// docs/screenshots/passwordless-email.png and passwordless-code.png.
import assert from 'node:assert/strict';
import type { Server } from 'node:http';
import { after, before, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { createWebApp } from '../../examples/web-app/app.js';
import { closeServer, describeInBrowser, launchBrowser, listenOn, saveScreenshot } from '../helpers/chromium.js';
import { forEachDatabase } from '../helpers/each-database.js';
import { tenant, webClient } from '../helpers/fixtures.js';
import { captureLogs } from '../helpers/log-capture.js';
import { freePort, type RunningGatehouse, startGatehouse } from '../helpers/server.js';

const SECRET = 'journal-secret-0123456789-abcdefghijklmnopq';
const EMAIL = 'nora@acme.test';

describeInBrowser('passwordless sign-in by e-mail code in Chromium', () => {
  forEachDatabase('examples/web-app with connection=email', (db, kind) => {
    const screenshots = kind.name === 'SQLite';
    const logs = captureLogs('info');
    let gatehouse: RunningGatehouse | undefined;
    let browser: Browser | undefined;
    let page: Page;
    let app: Server | undefined;
    let base: string;

    const codeFor = (to: string) =>
      logs.lines
        .map((line) => line.message as Record<string, string> | undefined)
        .filter((m) => m?.to === to)
        .at(-1)?.code;

    before(async () => {
      const port = await freePort();
      base = `http://localhost:${port}`;
      gatehouse = await startGatehouse({
        databaseUrl: db().url,
        logger: logs.logger,
        tenant: tenant({
          clients: [
            webClient({
              client_id: 'acme-journal',
              client_secret: SECRET,
              name: 'Acme Journal',
              callbacks: [`${base}/callback`],
              allowed_logout_urls: [`${base}/`],
              web_origins: [base],
            }),
          ],
          users: [],
          connections: [{ name: 'email', strategy: 'email', enabled_clients: ['acme-journal'] }],
        }),
      });
      app = await listenOn(
        createWebApp({
          issuer: gatehouse.issuer,
          clientId: 'acme-journal',
          clientSecret: SECRET,
          redirectUri: `${base}/callback`,
          postLogoutRedirectUri: `${base}/`,
        }),
        port,
      );
      browser = await launchBrowser();
      const context = await browser.newContext({ viewport: { width: 1024, height: 720 }, locale: 'en-US' });
      context.setDefaultTimeout(15_000);
      page = await context.newPage();
    });

    after(async () => {
      await browser?.close().catch(() => {});
      await closeServer(app);
      await gatehouse?.close();
    });

    test('Email address, Continue; Code, Continue: the app is signed in with a verified e-mail', async () => {
      await page.goto(`${base}/login?connection=email`);
      await page.waitForURL(/\/u\/login\/passwordless\?state=/);
      assert.equal(await page.title(), 'Log in | Acme Journal');
      assert.match(
        await page.locator('body').innerText(),
        /Log in to Acme Journal to continue\. We'll email you a code\./,
      );
      if (screenshots) await saveScreenshot(page, 'passwordless-email');
      await page.getByLabel('Email address').fill(EMAIL);
      await page.getByRole('button', { name: 'Continue' }).click();

      await page.getByLabel('Code').waitFor();
      assert.match(
        await page.locator('body').innerText(),
        new RegExp(`We've sent an email with your code to ${EMAIL}`),
      );
      const code = codeFor(EMAIL);
      assert.match(code ?? '', /^\d{6}$/);
      await page.getByLabel('Code').fill(code === '000000' ? '111111' : '000000');
      await page.getByRole('button', { name: 'Continue' }).click();
      await page.getByRole('alert').waitFor();
      assert.equal((await page.getByRole('alert').textContent())?.trim(), 'Wrong email or verification code.');
      if (screenshots) await saveScreenshot(page, 'passwordless-code');

      await page.getByLabel('Code').fill(code!);
      await page.getByRole('button', { name: 'Continue' }).click();
      await page.waitForURL(`${base}/`);
      assert.equal(await page.locator('#signed-in').textContent(), `Signed in as ${EMAIL}`);
      const response = await page.goto(`${base}/profile`);
      const { id_token_claims: claims } = (await response!.json()) as { id_token_claims: Record<string, unknown> };
      assert.match(String(claims.sub), /^email\|/);
      assert.equal(claims.email, EMAIL);
      assert.equal(claims.email_verified, true);
    });
  });
});
