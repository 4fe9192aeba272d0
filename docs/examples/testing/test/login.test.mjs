// The example app (app/) signs in through Gatehouse's real login page, in Chromium, as it would with Auth0:
// loginWithRedirect → the login form → the callback → getUser and getTokenSilently.
import assert from 'node:assert/strict';
import { createHash, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { after, before, beforeEach, test } from 'node:test';
import { chromium } from 'playwright-core';
import { startApp } from '../app/server.mjs';
import { API, createUser, domain, reset } from './gatehouse.mjs';

const APP_PORT = Number(process.env.APP_PORT ?? 8080);
const PASSWORD = 'Correct-Horse-Battery-9';
let app;
let browser;
let page;

/** Chromium does not read NODE_EXTRA_CA_CERTS: it trusts the same CA by the SHA-256 of its public key. */
function trustGatehouseCa() {
  const ca = new X509Certificate(readFileSync(process.env.NODE_EXTRA_CA_CERTS));
  const der = ca.publicKey.export({ type: 'spki', format: 'der' });
  return `--ignore-certificate-errors-spki-list=${createHash('sha256').update(der).digest('base64')}`;
}

before(async () => {
  app = await startApp({ port: APP_PORT, domain });
  // CHROME_PATH: a Chrome or Chromium of the machine's; without it, the browser of `npx playwright install`.
  // --no-sandbox: containers that run as root need it.
  browser = await chromium.launch({ executablePath: process.env.CHROME_PATH, args: ['--no-sandbox', trustGatehouseCa()] });
});
after(async () => {
  await browser?.close();
  app?.close();
});
beforeEach(async () => {
  await reset();
  page = await browser.newPage();
});

test('a user signs in through the login page; the app gets their profile and an access token for the API', async () => {
  await createUser('ada@example.test', PASSWORD);
  await page.goto(`http://localhost:${APP_PORT}/`);
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.waitForURL((url) => url.host === domain);
  await page.getByLabel('Email address').fill('ada@example.test');
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Continue' }).click();
  await page.getByText('Signed in as ada@example.test').waitFor();

  const accessToken = await page.evaluate(() => window.accessToken);
  const claims = JSON.parse(Buffer.from(accessToken.split('.')[1], 'base64url').toString());
  assert.equal(claims.iss, `https://${domain}/`);
  assert.ok([claims.aud].flat().includes(API));
  assert.match(claims.scope, /\bread:items\b/);
});

test('after a reset the user is gone: the login page refuses the same password', async () => {
  await page.goto(`http://localhost:${APP_PORT}/`);
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.getByLabel('Email address').fill('ada@example.test');
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Continue' }).click();
  await page.getByText('Wrong email or password').waitFor();
  assert.equal(new URL(page.url()).host, domain);
});
