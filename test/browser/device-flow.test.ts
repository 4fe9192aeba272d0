// A TV app signs in with the device authorization grant (openid-client's initiateDeviceAuthorization and
// pollDeviceAuthorizationGrant) while a person does their part in Chromium: /activate, the code, the login
// page, the confirmation. The SQLite run also refreshes docs/screenshots/device-*.png.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import * as oidc from 'openid-client';
import type { Browser, Page } from 'playwright-core';
import { describeInBrowser, launchBrowser, saveScreenshot } from '../helpers/chromium.js';
import { ALICE, deviceTenant } from '../helpers/device.js';
import { forEachDatabase } from '../helpers/each-database.js';
import { API, PASSWORD } from '../helpers/fixtures.js';
import { type RunningGatehouse, startGatehouse } from '../helpers/server.js';

describeInBrowser('the device flow with openid-client and a person in Chromium', () => {
  forEachDatabase('a TV app signs in through /activate', (db, kind) => {
    const screenshots = kind.name === 'SQLite';
    let gatehouse: RunningGatehouse | undefined;
    let browser: Browser | undefined;
    let config: oidc.Configuration;

    before(async () => {
      gatehouse = await startGatehouse({ databaseUrl: db().url, tenant: deviceTenant() });
      config = await oidc.discovery(new URL(gatehouse.issuer), 'tv', undefined, oidc.None(), {
        execute: [oidc.allowInsecureRequests],
      });
      browser = await launchBrowser();
    });
    after(async () => {
      await browser?.close().catch(() => {});
      await gatehouse?.close();
    });

    async function newPage(): Promise<Page> {
      const context = await browser!.newContext({ viewport: { width: 1024, height: 760 }, locale: 'en-US' });
      context.setDefaultTimeout(15_000);
      return context.newPage();
    }

    const start = () =>
      oidc.initiateDeviceAuthorization(config, { scope: 'openid profile offline_access read:items', audience: API });

    /** Opens the code page, types the code, and signs in on the login page. */
    async function enterCodeAndSignIn(page: Page, userCode: string, shoot: boolean) {
      await page.goto(`${gatehouse!.issuer}activate`);
      assert.equal(await page.getByRole('heading', { level: 1 }).textContent(), 'Device Activation');
      assert.match(await page.locator('body').innerText(), /Enter the code displayed on your device/);
      if (shoot) {
        await page.getByLabel('Code').fill('BCDF-GHJK');
        await page.getByRole('button', { name: 'Continue' }).click();
        assert.equal(await page.getByRole('alert').textContent(), 'Invalid or expired user code');
        await saveScreenshot(page, 'device-code-error');
      }
      await page.getByLabel('Code').fill(userCode.toLowerCase());
      if (shoot) await saveScreenshot(page, 'device-code');
      await page.getByRole('button', { name: 'Continue' }).click();
      await page.waitForURL(/\/u\/login\?state=/);
      await page.getByLabel('Email address').fill(ALICE);
      await page.getByLabel('Password').fill(PASSWORD);
      await page.getByRole('button', { name: 'Continue' }).click();
      await page.waitForURL(/\/u\/device\/confirm\?state=/);
    }

    test('enter the code, sign in, confirm: the device receives tokens openid-client validates', async () => {
      const device = await start();
      assert.equal(device.verification_uri, `${gatehouse!.issuer}activate`);
      const polling = oidc.pollDeviceAuthorizationGrant(config, device);
      const page = await newPage();
      await enterCodeAndSignIn(page, device.user_code, screenshots);
      assert.equal(await page.getByRole('heading', { level: 1 }).textContent(), 'Device Confirmation');
      const body = await page.locator('body').innerText();
      assert.match(body, /Please confirm this is the code displayed on your Acme TV:/);
      assert.ok(body.includes(device.user_code), 'the confirmation shows the code');
      assert.match(body, /Read your items/);
      if (screenshots) await saveScreenshot(page, 'device-confirm');
      await page.getByRole('button', { name: 'Confirm' }).click();
      await page.getByText('Your device is now connected.').waitFor();
      assert.equal(await page.getByRole('heading', { level: 1 }).textContent(), "Congratulations, you're all set!");
      if (screenshots) await saveScreenshot(page, 'device-allowed');

      const tokens = await polling;
      assert.equal(tokens.token_type, 'bearer');
      assert.equal(tokens.scope, 'openid profile read:items offline_access');
      assert.ok(tokens.refresh_token);
      const claims = tokens.claims();
      assert.equal(claims?.iss, gatehouse!.issuer);
      assert.equal(claims?.aud, 'tv');
      assert.equal(claims?.name, 'Alice');
      // The refresh token works like any other.
      const refreshed = await oidc.refreshTokenGrant(config, tokens.refresh_token!);
      assert.ok(refreshed.access_token);
      await page.context().close();
    });

    test('Cancel: the device hears access_denied', async () => {
      const device = await start();
      const polling = oidc.pollDeviceAuthorizationGrant(config, device).then(
        () => assert.fail('no tokens after Cancel'),
        (error: unknown) => error,
      );
      const page = await newPage();
      await enterCodeAndSignIn(page, device.user_code, false);
      await page.getByRole('button', { name: 'Cancel' }).click();
      await page.getByText('You have cancelled the activation of your device.').waitFor();
      if (screenshots) await saveScreenshot(page, 'device-denied');
      const error = await polling;
      assert.ok(error instanceof oidc.ResponseBodyError, String(error));
      assert.equal(error.error, 'access_denied');
      await page.context().close();
    });
  });
});
