// Sign-up and consent in Chromium (docs/sign-in.md), through Gatehouse's real pages and real apps
// (examples/web-app: Express + openid-client, code + PKCE):
//  - sign-up from the login page's "Sign up" link and from screen_hint=signup (a built /authorize URL and a
//    tiny callback server, since the example app does not pass screen_hint), a weak password, a duplicate
//    e-mail, and the new user's sign-in with the login form in a fresh browser;
//  - consent for a third-party client: scopes with descriptions, Decline (access_denied with the app's
//    state), Accept, remembered, asked again for a new scope and with prompt=consent; a first-party client
//    to an API that does not skip consent.
// The SQLite run also refreshes docs/screenshots/signup.png, signup-error.png and consent.png.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { after, before, describe, test } from 'node:test';
import { decodeJwt } from 'jose';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { createWebApp } from '../../examples/web-app/app.js';
import { closeServer, describeInBrowser, launchBrowser, listenOn, saveScreenshot } from '../helpers/chromium.js';
import { forEachDatabase } from '../helpers/each-database.js';
import { freePort, type RunningGatehouse, startGatehouse } from '../helpers/server.js';
import { basicAuth, pkcePair, postToken } from '../helpers/http-client.js';
import { acmeApi, alice, API, DB, PASSWORD, scopes, tenant, WEB_SECRET, webClient } from '../helpers/fixtures.js';

const STRICT_API = 'https://reports.acme.test';
const ALICE = 'alice@acme.test';
const NEWCOMER = 'newcomer@acme.test';
const PARTNER_SECRET = 'partner-secret-0123456789-abcdefghijklmnopqrs';
const REPORTS_SECRET = 'reports-secret-0123456789-abcdefghijklmnopqrs';
const WEAK_MESSAGE =
  'Password is too weak. The password must have at least 8 characters; at least 3 of: lower case letters (a-z), ' +
  'upper case letters (A-Z), numbers (0-9), special characters (e.g. !@#$%^&*).';

interface Bases {
  web: string;
  hint: string;
  partner: string;
  partnerMore: string;
  reports: string;
}

/** The apps' callbacks are on the ports where their real servers listen (the bases). */
function appsTenant(b: Bases) {
  const client = (client_id: string, name: string, client_secret: string, callbacks: string[], firstParty: boolean) =>
    webClient({
      client_id,
      client_secret,
      name,
      callbacks,
      allowed_logout_urls: callbacks.map((c) => c.replace(/callback$/, '')),
      is_first_party: firstParty,
    });
  return tenant({
    resource_servers: [
      acmeApi({
        scopes: scopes(['read:items', 'Read your items'], ['write:items', 'Change your items']),
        token_dialect: 'access_token_authz',
        skip_consent_for_verifiable_first_party_clients: true,
      }),
      {
        identifier: STRICT_API,
        name: 'Acme Reports API',
        scopes: scopes(['read:reports', 'Read your reports']),
        skip_consent_for_verifiable_first_party_clients: false,
      },
    ],
    clients: [
      client('acme-web', 'Acme Web', WEB_SECRET, [`${b.web}/callback`, `${b.hint}/callback`], true),
      client(
        'partner',
        'Partner Planner',
        PARTNER_SECRET,
        [`${b.partner}/callback`, `${b.partnerMore}/callback`],
        false,
      ),
      client('acme-reports', 'Acme Reports', REPORTS_SECRET, [`${b.reports}/callback`], true),
    ],
    users: [alice()],
  });
}

describeInBrowser('sign-up and consent in Chromium', () => {
  forEachDatabase('Universal Login sign-up and consent', (db, kind) => {
    const screenshots = kind.name === 'SQLite';
    let gatehouse: RunningGatehouse | undefined;
    let browser: Browser | undefined;
    const servers: Server[] = [];
    const contexts: BrowserContext[] = [];
    let bases: Bases;
    /** What the tiny callback server (the screen_hint flow's "app") received. */
    const hintCallbacks: URL[] = [];

    before(async () => {
      const ports = await Promise.all([freePort(), freePort(), freePort(), freePort(), freePort()]);
      // The apps are on localhost and Gatehouse on 127.0.0.1: different sites, as in real life.
      const [web, hint, partner, partnerMore, reports] = ports.map((port) => `http://localhost:${port}`);
      bases = { web, hint, partner, partnerMore, reports };
      gatehouse = await startGatehouse({ databaseUrl: db().url, tenant: appsTenant(bases) });
      const issuer = gatehouse.issuer;
      const app = (clientId: string, clientSecret: string, base: string, audience: string, scope: string) =>
        createWebApp({
          issuer,
          clientId,
          clientSecret,
          redirectUri: `${base}/callback`,
          postLogoutRedirectUri: `${base}/`,
          audience,
          scope,
        });
      const callbackServer = createServer((request, response) => {
        const url = new URL(request.url ?? '/', bases.hint);
        if (url.pathname === '/callback') hintCallbacks.push(url);
        response
          .writeHead(200, { 'content-type': 'text/html; charset=utf-8' })
          .end('<!DOCTYPE html><title>Callback</title><p id="callback">Callback received</p>');
      });
      servers.push(
        await listenOn(app('acme-web', WEB_SECRET, web, API, 'openid profile email read:items'), ports[0]),
        await listenOn(callbackServer, ports[1]),
        await listenOn(app('partner', PARTNER_SECRET, partner, API, 'openid profile read:items'), ports[2]),
        await listenOn(
          app('partner', PARTNER_SECRET, partnerMore, API, 'openid profile read:items write:items'),
          ports[3],
        ),
        await listenOn(
          app('acme-reports', REPORTS_SECRET, reports, STRICT_API, 'openid profile read:reports'),
          ports[4],
        ),
      );
      browser = await launchBrowser();
    });

    after(async () => {
      for (const context of contexts) await context.close().catch(() => {});
      await browser?.close().catch(() => {});
      for (const server of servers) await closeServer(server);
      await gatehouse?.close();
    });

    /** A fresh browser profile (no cookies) with a page that records every URL it requests. */
    async function freshPage(): Promise<{ page: Page; requested: string[] }> {
      const context = await browser!.newContext({ viewport: { width: 1024, height: 720 }, locale: 'en-US' });
      context.setDefaultTimeout(15_000);
      contexts.push(context);
      const page = await context.newPage();
      const requested: string[] = [];
      page.on('request', (request) => requested.push(request.url()));
      return { page, requested };
    }

    const escapeRegExp = (s: string) => s.replace(/[.?]/g, '\\$&');
    const pageOf = (path: 'login' | 'signup' | 'consent') =>
      new RegExp(`^${escapeRegExp(gatehouse!.issuer)}u/${path}\\?state=`);

    async function fillAndContinue(page: Page, email: string, password: string) {
      await page.getByLabel('Email address').fill(email);
      await page.getByLabel('Password').fill(password);
      await page.getByRole('button', { name: 'Continue' }).click();
    }

    /** The app's home page names the user: by e-mail when the scopes gave it one, else by user id. */
    async function expectSignedInAt(page: Page, base: string, who: string) {
      await page.waitForURL(`${base}/`);
      assert.equal(await page.locator('#signed-in').textContent(), `Signed in as ${who}`);
    }

    async function profile(page: Page, base: string) {
      const response = await page.goto(`${base}/profile`);
      assert.equal(response!.status(), 200);
      return (await response!.json()) as {
        id_token_claims: Record<string, unknown>;
        userinfo: Record<string, unknown>;
        scope: string;
      };
    }

    /** Submits a form and waits for the answer to its POST (the page stays on Gatehouse when it failed). */
    async function submitExpectingError(page: Page, path: 'signup', email: string, password: string) {
      const posted = page.waitForResponse((r) => r.request().method() === 'POST' && r.url().includes(`/u/${path}`));
      await fillAndContinue(page, email, password);
      const answer = await posted;
      await page.waitForLoadState();
      return answer;
    }

    describe('sign-up', () => {
      let newcomerSub: unknown;

      test("the login page's Sign up link opens the sign-up page; the new account lands signed in in the app", async () => {
        const { page } = await freshPage();
        await page.goto(`${bases.web}/`);
        await page.getByRole('link', { name: 'Log in' }).click();
        await page.waitForURL(pageOf('login'));
        assert.match(await page.locator('body').innerText(), /Don't have an account\?\s*Sign up/);
        await page.getByRole('link', { name: 'Sign up' }).click();
        await page.waitForURL(pageOf('signup'));
        assert.equal(await page.title(), 'Sign up | Acme Web');
        assert.equal(await page.getByRole('heading', { level: 1 }).textContent(), 'Create your account');
        assert.match(await page.locator('body').innerText(), /Already have an account\?\s*Log in/);
        assert.equal(await page.getByLabel('Email address').getAttribute('type'), 'email');
        assert.equal(await page.getByLabel('Password').getAttribute('autocomplete'), 'new-password');
        assert.equal(await page.locator('input[type=hidden][name=_csrf]').count(), 1);
        await page.getByLabel('Email address').fill(NEWCOMER);
        if (screenshots) await saveScreenshot(page, 'signup');

        await fillAndContinue(page, NEWCOMER, PASSWORD);
        await expectSignedInAt(page, bases.web, NEWCOMER);
        const { id_token_claims: claims, userinfo } = await profile(page, bases.web);
        assert.match(String(claims.sub), /^auth0\|[0-9a-f]{24}$/);
        assert.equal(claims.aud, 'acme-web');
        assert.equal(claims.email, NEWCOMER);
        assert.equal(claims.email_verified, false);
        assert.equal(userinfo.sub, claims.sub);
        newcomerSub = claims.sub;
      });

      test('a weak password shows the policy message, keeps the e-mail and creates nothing', async () => {
        const { page } = await freshPage();
        await page.goto(`${bases.web}/login`);
        await page.waitForURL(pageOf('login'));
        await page.getByRole('link', { name: 'Sign up' }).click();
        await page.waitForURL(pageOf('signup'));
        const answer = await submitExpectingError(page, 'signup', 'weak@acme.test', 'password');
        assert.equal(answer.status(), 400);
        assert.match(page.url(), pageOf('signup'));
        assert.equal((await page.getByRole('alert').textContent())?.trim(), WEAK_MESSAGE);
        assert.equal(await page.getByLabel('Email address').inputValue(), 'weak@acme.test');
        assert.equal(await page.getByLabel('Password').inputValue(), '', 'the password is not sent back');
        assert.equal(await page.getByLabel('Password').getAttribute('aria-invalid'), 'true');

        // The refused attempt created no account: the same address signs up with a strong password.
        await fillAndContinue(page, 'weak@acme.test', PASSWORD);
        await expectSignedInAt(page, bases.web, 'weak@acme.test');
      });

      test('a duplicate e-mail shows "The user already exists."; the Log in link leads to the login page', async () => {
        const { page } = await freshPage();
        await page.goto(`${bases.web}/login`);
        await page.waitForURL(pageOf('login'));
        await page.getByRole('link', { name: 'Sign up' }).click();
        await page.waitForURL(pageOf('signup'));
        // Another case of the same address is the same account.
        const answer = await submitExpectingError(page, 'signup', 'NewComer@Acme.test', PASSWORD);
        assert.equal(answer.status(), 400);
        assert.equal((await page.getByRole('alert').textContent())?.trim(), 'The user already exists.');
        assert.equal(await page.getByLabel('Email address').inputValue(), 'NewComer@Acme.test');
        if (screenshots) await saveScreenshot(page, 'signup-error');

        await page.getByRole('link', { name: 'Log in' }).click();
        await page.waitForURL(pageOf('login'));
        assert.equal(await page.getByRole('heading', { level: 1 }).textContent(), 'Welcome');
      });

      test('screen_hint=signup opens the sign-up page directly; the new account reaches the callback with a code', async () => {
        const { page, requested } = await freshPage();
        const pkce = pkcePair();
        const url = new URL(gatehouse!.url('/authorize'));
        url.search = new URLSearchParams({
          client_id: 'acme-web',
          redirect_uri: `${bases.hint}/callback`,
          response_type: 'code',
          scope: 'openid profile email',
          state: 'hint-state-1',
          nonce: 'hint-nonce-1',
          code_challenge: pkce.challenge,
          code_challenge_method: 'S256',
          screen_hint: 'signup',
        }).toString();
        await page.goto(url.href);
        await page.waitForURL(pageOf('signup'));
        assert.deepEqual(
          requested.filter((u) => u.includes('/u/login')),
          [],
          'the login page was not shown',
        );
        assert.equal(await page.getByRole('heading', { level: 1 }).textContent(), 'Create your account');

        hintCallbacks.length = 0;
        await fillAndContinue(page, 'hinted@acme.test', PASSWORD);
        await page.waitForURL((u) => u.href.startsWith(`${bases.hint}/callback`));
        assert.equal(hintCallbacks.length, 1);
        const callback = hintCallbacks[0];
        assert.deepEqual([...callback.searchParams.keys()].sort(), ['code', 'iss', 'state']);
        assert.equal(callback.searchParams.get('state'), 'hint-state-1');
        assert.equal(callback.searchParams.get('iss'), gatehouse!.issuer);

        const tokens = await postToken(
          gatehouse!,
          {
            grant_type: 'authorization_code',
            code: callback.searchParams.get('code')!,
            redirect_uri: `${bases.hint}/callback`,
            code_verifier: pkce.verifier,
          },
          { authorization: basicAuth('acme-web', WEB_SECRET) },
        );
        assert.equal(tokens.status, 200, JSON.stringify(tokens.body));
        const claims = decodeJwt(tokens.body.id_token as string);
        assert.equal(claims.email, 'hinted@acme.test');
        assert.equal(claims.email_verified, false);
        assert.equal(claims.nonce, 'hint-nonce-1');
      });

      test('the new user signs in with the login form in a fresh browser', async () => {
        const { page } = await freshPage();
        await page.goto(`${bases.web}/login`);
        await page.waitForURL(pageOf('login'));
        await fillAndContinue(page, NEWCOMER, PASSWORD);
        await expectSignedInAt(page, bases.web, NEWCOMER);
        assert.equal((await profile(page, bases.web)).id_token_claims.sub, newcomerSub);
      });
    });

    describe('consent', () => {
      let page: Page;
      let requested: string[];
      /** Alice's user id: the partner app asks for no `email` scope, so it knows her by id. */
      let alice: string;
      before(async () => {
        ({ page, requested } = await freshPage());
        alice = (await gatehouse!.gatehouse.store.users.findByEmail(DB, ALICE))!.user_id;
      });

      /** The scopes listed on the consent page: [description, value]. */
      async function listedScopes(): Promise<[string, string][]> {
        return page
          .locator('.gh-scope')
          .evaluateAll((items) =>
            items.map(
              (li) =>
                [
                  li.querySelector('.gh-scope-description')?.textContent?.trim() ?? '',
                  li.querySelector('.gh-scope-value')?.textContent?.trim() ?? '',
                ] as [string, string],
            ),
          );
      }

      const pagesShown = () =>
        requested.filter((u) => /\/u\/(login|consent)\?/.test(u)).map((u) => new URL(u).pathname);

      async function accept(base: string) {
        await page.getByRole('button', { name: 'Accept' }).click();
        await expectSignedInAt(page, base, alice);
      }

      test('a third-party client shows the scopes with their descriptions and Accept / Decline; Decline gives the app access_denied with its state', async () => {
        await page.goto(`${bases.partner}/login`);
        await page.waitForURL(pageOf('login'));
        await fillAndContinue(page, ALICE, PASSWORD);
        await page.waitForURL(pageOf('consent'));
        assert.equal(await page.title(), 'Authorize Partner Planner');
        assert.equal(await page.getByRole('heading', { level: 1 }).textContent(), 'Authorize Partner Planner');
        const text = await page.locator('main').innerText();
        assert.match(text, /Hi Alice,/);
        assert.match(text, /Partner Planner is requesting access to Acme API\. It would be able to:/);
        assert.deepEqual(await listedScopes(), [
          ['Confirm your identity', 'openid'],
          ['Your profile: name, nickname and picture', 'profile'],
          ['Read your items', 'read:items'],
        ]);
        assert.equal(await page.getByRole('button', { name: 'Accept' }).isVisible(), true);
        assert.equal(await page.getByRole('button', { name: 'Decline' }).isVisible(), true);
        assert.equal(await page.locator('input[type=hidden][name=_csrf]').count(), 1);
        if (screenshots) await saveScreenshot(page, 'consent');

        const sent = new URL(requested.find((u) => u.startsWith(gatehouse!.url('/authorize?')))!);
        const state = sent.searchParams.get('state');
        assert.ok(state, 'the app sent a state');
        const callback = page.waitForRequest((r) => r.url().startsWith(`${bases.partner}/callback?`));
        await page.getByRole('button', { name: 'Decline' }).click();
        const params = new URL((await callback).url()).searchParams;
        assert.deepEqual(Object.fromEntries(params), {
          error: 'access_denied',
          error_description: 'User did not authorize the request',
          state,
          iss: gatehouse!.issuer,
        });
        await page.waitForURL((u) => u.href.startsWith(`${bases.partner}/callback`));
        assert.equal(
          await page.locator('#sign-in-error').textContent(),
          'access_denied: User did not authorize the request',
        );
      });

      test('the Decline was not remembered: the next login asks again; Accept lands signed in with the scopes', async () => {
        requested.length = 0;
        await page.goto(`${bases.partner}/login`);
        await page.waitForURL(pageOf('consent'));
        assert.deepEqual(pagesShown(), ['/u/consent'], 'signed in already: only the consent page');
        await accept(bases.partner);
        const { id_token_claims: claims, scope } = await profile(page, bases.partner);
        assert.equal(claims.aud, 'partner');
        assert.equal(claims.name, 'Alice');
        assert.equal(scope, 'openid profile read:items');
      });

      test('a second login is silent: the Accept is remembered', async () => {
        requested.length = 0;
        await page.goto(`${bases.partner}/login`);
        await expectSignedInAt(page, bases.partner, alice);
        assert.deepEqual(pagesShown(), []);
      });

      test('asking for a new scope shows the page again, and only then', async () => {
        requested.length = 0;
        await page.goto(`${bases.partnerMore}/login`);
        await page.waitForURL(pageOf('consent'));
        assert.deepEqual(
          (await listedScopes()).map(([, value]) => value),
          ['openid', 'profile', 'read:items', 'write:items'],
        );
        assert.deepEqual((await listedScopes())[3], ['Change your items', 'write:items']);
        await accept(bases.partnerMore);
        assert.equal((await profile(page, bases.partnerMore)).scope, 'openid profile read:items write:items');

        requested.length = 0;
        await page.goto(`${bases.partnerMore}/login`);
        await expectSignedInAt(page, bases.partnerMore, alice);
        await page.goto(`${bases.partner}/login`);
        await expectSignedInAt(page, bases.partner, alice);
        assert.deepEqual(pagesShown(), []);
      });

      test('prompt=consent always shows the page', async () => {
        for (const round of [1, 2]) {
          requested.length = 0;
          await page.goto(`${bases.partner}/login?prompt=consent`);
          await page.waitForURL(pageOf('consent'));
          assert.deepEqual(pagesShown(), ['/u/consent'], `round ${round}`);
          assert.equal((await listedScopes()).length, 3);
          await accept(bases.partner);
        }
        requested.length = 0;
        await page.goto(`${bases.partner}/login`);
        await expectSignedInAt(page, bases.partner, alice);
        assert.deepEqual(pagesShown(), []);
      });

      test('a first-party client asks for an API with skip_consent_for_verifiable_first_party_clients: false, not for one that skips', async () => {
        requested.length = 0;
        await page.goto(`${bases.web}/login`);
        await expectSignedInAt(page, bases.web, ALICE);
        assert.deepEqual(pagesShown(), [], 'first party, API skips consent: silent');

        await page.goto(`${bases.reports}/login`);
        await page.waitForURL(pageOf('consent'));
        assert.equal(await page.getByRole('heading', { level: 1 }).textContent(), 'Authorize Acme Reports');
        assert.match(
          await page.locator('main').innerText(),
          /Acme Reports is requesting access to Acme Reports API\. It would be able to:/,
        );
        assert.deepEqual((await listedScopes()).at(-1), ['Read your reports', 'read:reports']);
        await accept(bases.reports);
        requested.length = 0;
        await page.goto(`${bases.reports}/login`);
        await expectSignedInAt(page, bases.reports, alice);
        assert.deepEqual(pagesShown(), []);
      });
    });
  });
});
