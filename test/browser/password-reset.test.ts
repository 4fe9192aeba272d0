// Password reset and e-mail verification in Chromium, end to end through a real mail server (smtp-server on a
// free port, GATEHOUSE_SMTP_URL) and a real app (examples/web-app: Express + openid-client, code + PKCE):
//  - the login page's "Forgot password?", the e-mail address, "Check Your Email", the reset e-mail's link opened
//    in the browser, a weak password and a mismatching confirmation refused on the form, a good one, "Password
//    Changed!", back to the app (the client's initiate_login_uri), the old password refused, the new one signs in;
//  - sign-up on the login page, the verification e-mail's link opened in the browser, "Email Verified", and the
//    user's email_verified true in the Management API and in the app's next sign-in (/userinfo, ID token).
// The SQLite run also refreshes docs/screenshots/reset-request.png, reset-check-email.png, reset-password.png,
// reset-password-error.png, password-changed.png and email-verified.png.
import assert from 'node:assert/strict';
import type { Server } from 'node:http';
import { after, before, test } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { createWebApp } from '../../examples/web-app/app.js';
import { adminEnv, apiFetch, managementToken } from '../helpers/admin-api.js';
import { closeServer, describeInBrowser, launchBrowser, listenOn, saveScreenshot } from '../helpers/chromium.js';
import { forEachDatabase } from '../helpers/each-database.js';
import { alice, PASSWORD, tenant, webClient } from '../helpers/fixtures.js';
import { freePort, type RunningGatehouse, startGatehouse } from '../helpers/server.js';
import { linksIn, type ReceivedMail, startSmtp, type TestSmtp } from '../helpers/smtp.js';

const SECRET = 'journal-secret-0123456789-abcdefghijklmnopq';
const ALICE = 'alice@acme.test';
const NEWCOMER = 'newcomer@acme.test';
const NEW_PASSWORD = 'Quiet-River-2024';
const WEAK_MESSAGE =
  'Password is too weak. The password must have at least 8 characters; at least 3 of: lower case letters (a-z), ' +
  'upper case letters (A-Z), numbers (0-9), special characters (e.g. !@#$%^&*).';
const MISMATCH = 'Please ensure the password and the confirmation are the same.';

describeInBrowser('password reset and e-mail verification in Chromium', () => {
  forEachDatabase('examples/web-app, the ticket pages and a real SMTP server', (db, kind) => {
    const screenshots = kind.name === 'SQLite';
    let smtp: TestSmtp | undefined;
    let gatehouse: RunningGatehouse | undefined;
    let browser: Browser | undefined;
    let app: Server | undefined;
    let base: string;
    const contexts: BrowserContext[] = [];

    before(async () => {
      smtp = await startSmtp();
      const port = await freePort();
      base = `http://localhost:${port}`;
      gatehouse = await startGatehouse({
        databaseUrl: db().url,
        env: { ...smtp.env, ...adminEnv },
        tenant: tenant({
          clients: [
            webClient({
              client_id: 'acme-journal',
              client_secret: SECRET,
              name: 'Acme Journal',
              callbacks: [`${base}/callback`],
              allowed_logout_urls: [`${base}/`],
              web_origins: [base],
              // Where "Password Changed!" and "Email Verified" send the person back (Auth0: Application Login URI).
              initiate_login_uri: `${base}/login`,
              is_first_party: true,
            }),
          ],
          users: [alice()],
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
    });

    after(async () => {
      await browser?.close().catch(() => {});
      await closeServer(app);
      await gatehouse?.close();
      await smtp?.stop();
    });

    async function freshPage(): Promise<Page> {
      const context = await browser!.newContext({ viewport: { width: 1024, height: 720 }, locale: 'en-US' });
      context.setDefaultTimeout(15_000);
      contexts.push(context);
      return context.newPage();
    }

    const escapeRegExp = (s: string) => s.replace(/[.?]/g, '\\$&');
    const gatehousePage = (path: string) => new RegExp(`^${escapeRegExp(gatehouse!.issuer)}u/${path}\\?`);
    const heading = (page: Page) => page.getByRole('heading', { level: 1 }).textContent();
    const alertText = async (page: Page) => (await page.getByRole('alert').textContent())?.trim();

    /** The next e-mail to `to` whose text holds a link to `path` on Gatehouse, and that link. */
    async function mailWithLink(to: string, path: string): Promise<{ mail: ReceivedMail; link: string }> {
      for (;;) {
        const mail = await smtp!.nextMessage(to);
        const link = linksIn(mail.text).find((url) => url.startsWith(gatehouse!.url(path)));
        if (link) return { mail, link };
      }
    }

    async function submitLogin(page: Page, email: string, password: string) {
      await page.getByLabel('Email address').fill(email);
      await page.getByLabel('Password').fill(password);
      await page.getByRole('button', { name: 'Continue' }).click();
    }

    async function submitNewPassword(page: Page, password: string, confirmation: string) {
      await page.getByLabel('New password', { exact: true }).fill(password);
      await page.getByLabel('Re-enter new password').fill(confirmation);
      const posted = page.waitForResponse(
        (r) => r.request().method() === 'POST' && r.url().includes('/u/reset-password?'),
      );
      await page.getByRole('button', { name: 'Reset password' }).click();
      const answer = await posted;
      await page.waitForLoadState();
      return answer.status();
    }

    test('Forgot password? → the e-mail → a new password → the app signs in with it, not with the old one', async () => {
      const page = await freshPage();
      await page.goto(`${base}/`);
      await page.getByRole('link', { name: 'Log in' }).click();
      await page.waitForURL(gatehousePage('login'));
      await page.getByRole('link', { name: 'Forgot password?' }).click();
      await page.waitForURL(gatehousePage('reset-password/request'));
      assert.equal(await heading(page), 'Forgot Your Password?');
      await page.getByLabel('Email address').fill(ALICE);
      if (screenshots) await saveScreenshot(page, 'reset-request');
      await page.getByRole('button', { name: 'Continue' }).click();

      await page.getByRole('heading', { level: 1, name: 'Check Your Email' }).waitFor();
      assert.match(
        await page.locator('body').innerText(),
        new RegExp(`Please check the email address ${escapeRegExp(ALICE)} for instructions to reset your password\\.`),
      );
      if (screenshots) await saveScreenshot(page, 'reset-check-email');

      const { mail, link } = await mailWithLink(ALICE, '/u/reset-password?ticket=');
      assert.deepEqual(mail.to, [ALICE]);
      assert.match(mail.html, /reset-password\?ticket=/);

      const opened = await page.goto(link);
      assert.equal(opened!.status(), 200);
      assert.equal(await heading(page), 'Change Your Password');
      assert.equal(await page.getByLabel('New password', { exact: true }).getAttribute('autocomplete'), 'new-password');
      if (screenshots) await saveScreenshot(page, 'reset-password');

      assert.equal(await submitNewPassword(page, 'password', 'password'), 400);
      assert.equal(await alertText(page), WEAK_MESSAGE);
      if (screenshots) await saveScreenshot(page, 'reset-password-error');

      assert.equal(await submitNewPassword(page, NEW_PASSWORD, `${NEW_PASSWORD}!`), 400);
      assert.equal(await alertText(page), MISMATCH);

      assert.equal(await submitNewPassword(page, NEW_PASSWORD, NEW_PASSWORD), 200);
      assert.equal(await heading(page), 'Password Changed!');
      assert.match(await page.locator('body').innerText(), /Your password has been changed successfully\./);
      if (screenshots) await saveScreenshot(page, 'password-changed');

      // The link works once: opened again from the e-mail (a new tab), it says so.
      const tab = await page.context().newPage();
      const again = await tab.goto(link);
      assert.equal(again!.status(), 410);
      assert.equal(await heading(tab), 'Link already used');
      await tab.close();

      await page.getByRole('link', { name: 'Back to Acme Journal' }).click();
      await page.waitForURL(gatehousePage('login'));
      const refused = page.waitForResponse((r) => r.request().method() === 'POST' && r.url().includes('/u/login'));
      await submitLogin(page, ALICE, PASSWORD);
      assert.equal((await refused).status(), 400);
      await page.waitForLoadState();
      assert.equal(await alertText(page), 'Wrong email or password');

      await submitLogin(page, ALICE, NEW_PASSWORD);
      await page.waitForURL(`${base}/`);
      assert.equal(await page.locator('#signed-in').textContent(), `Signed in as ${ALICE}`);
    });

    test('sign-up → the verification e-mail → "Email Verified" → email_verified is true', async () => {
      const page = await freshPage();
      await page.goto(`${base}/`);
      await page.getByRole('link', { name: 'Log in' }).click();
      await page.waitForURL(gatehousePage('login'));
      await page.getByRole('link', { name: 'Sign up' }).click();
      await page.waitForURL(gatehousePage('signup'));
      await submitLogin(page, NEWCOMER, PASSWORD);
      await page.waitForURL(`${base}/`);
      assert.equal(await page.locator('#signed-in').textContent(), `Signed in as ${NEWCOMER}`);
      const before = (await (await page.goto(`${base}/profile`))!.json()) as {
        id_token_claims: Record<string, unknown>;
      };
      assert.equal(before.id_token_claims.email_verified, false);
      const userId = String(before.id_token_claims.sub);

      const { link } = await mailWithLink(NEWCOMER, '/u/email-verification?ticket=');
      const opened = await page.goto(link);
      assert.equal(opened!.status(), 200);
      assert.equal(await heading(page), 'Email Verified');
      assert.match(await page.locator('body').innerText(), /Your email was verified\./);
      if (screenshots) await saveScreenshot(page, 'email-verified');

      const token = await managementToken(gatehouse!);
      const response = await apiFetch(gatehouse!, `/users/${encodeURIComponent(userId)}`, token);
      assert.equal(response.status, 200);
      const user = (await response.json()) as Record<string, unknown>;
      assert.equal(user.email, NEWCOMER);
      assert.equal(user.email_verified, true);

      // Back to the app from the page, signing in again: /userinfo and the new ID token say verified.
      await page.getByRole('link', { name: 'Back to Acme Journal' }).click();
      await page.waitForURL(`${base}/`);
      await page.goto(`${base}/login?prompt=login`);
      await page.waitForURL(gatehousePage('login'));
      await submitLogin(page, NEWCOMER, PASSWORD);
      await page.waitForURL(`${base}/`);
      const after = (await (await page.goto(`${base}/profile`))!.json()) as {
        id_token_claims: Record<string, unknown>;
        userinfo: Record<string, unknown>;
      };
      assert.equal(after.id_token_claims.sub, userId);
      assert.equal(after.id_token_claims.email_verified, true);
      assert.equal(after.userinfo.email_verified, true);
    });
  });
});
