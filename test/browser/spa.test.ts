// A single-page app built on @auth0/auth0-spa-js, unchanged (examples/spa), against Gatehouse in Chromium:
// loginWithRedirect → Universal Login → handleRedirectCallback → getUser; getTokenSilently through the
// hidden iframe (response_mode=web_message, prompt=none); refresh tokens rotated across renewals, with the
// reuse of a spent one revoking the family; loginWithPopup (window.opener must survive the login page);
// logout, after which silent renewal answers login_required. And the negative side of web_message: an
// origin that is not one of the client's web_origins never receives an authorization response.
//
// Cookies: on an http issuer the SSO cookie is SameSite=Lax, so the hidden iframe carries it only when the
// app and Gatehouse are same-site: both run on `localhost`, on different ports.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { decodeJwt } from 'jose';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { type RunningSpa, startSpa } from '../../examples/spa/server.js';
import { pkcePair } from '../helpers/http-client.js';
import { describeInBrowser, launchBrowser } from '../helpers/chromium.js';
import { forEachDatabase } from '../helpers/each-database.js';
import { acmeApi, alice, API, PASSWORD, scopes, spaClient, tenant } from '../helpers/fixtures.js';
import { freePort, type RunningGatehouse, startGatehouse } from '../helpers/server.js';

const EMAIL = 'alice@acme.test';
const CLIENT_ID = 'acme-spa';
const INVALID_REFRESH = { error: 'invalid_grant', error_description: 'Unknown or invalid refresh token.' };

type Outcome<T = unknown> = { ok: true; value: T } | { ok: false; error: string; error_description: string };
interface Message {
  origin: string;
  type: unknown;
  keys?: string[];
}
interface TokenAnswer {
  access_token: string;
  id_token: string;
  scope?: string;
  expires_in: number;
}

declare global {
  interface Window {
    spa: {
      ready: Promise<void>;
      results: Record<string, Outcome>;
      messages: Message[];
      user(): Promise<Outcome<Record<string, unknown> | null>>;
      tokenSilently(): Promise<Outcome<TokenAnswer>>;
      tokenWithRefreshToken(): Promise<Outcome<TokenAnswer>>;
    };
  }
}

/** One POST /oauth/token that the browser made, with Gatehouse's answer. */
interface TokenCall {
  grant_type: string | null;
  refresh_token: string | null;
  status: number;
  body: Record<string, unknown>;
}

/** The callbacks are on the ports where the real example SPA servers (examples/spa) listen. */
function spaTenant(app: string, other: string) {
  return tenant({
    resource_servers: [acmeApi({ scopes: scopes('read:items'), allow_offline_access: true })],
    clients: [
      spaClient({
        client_id: CLIENT_ID,
        grant_types: ['authorization_code', 'refresh_token'],
        // `other` is a registered callback but not a web origin: web_message must never answer it.
        callbacks: [`${app}/`, `${other}/`],
        allowed_logout_urls: [`${app}/`],
        web_origins: [app],
        is_first_party: true,
        refresh_token: {
          rotation_type: 'rotating',
          expiration_type: 'expiring',
          token_lifetime: 86400,
          idle_token_lifetime: 3600,
          leeway: 0,
        },
      }),
    ],
    users: [alice()],
  });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describeInBrowser('a single-page app with auth0-spa-js in Chromium', () => {
  forEachDatabase('examples/spa against Gatehouse', (db) => {
    let gatehouse: RunningGatehouse | undefined;
    let spa: RunningSpa | undefined;
    /** The same app on another port: a registered callback, but not in web_origins. */
    let other: RunningSpa | undefined;
    let browser: Browser | undefined;
    let context: BrowserContext;
    let page: Page;
    let issuerOrigin: string;
    /** Every URL the browser requested, in order. */
    let requested: string[] = [];
    let tokenCalls: Promise<TokenCall>[] = [];

    before(async () => {
      const [gatehousePort, spaPort, otherPort] = [await freePort(), await freePort(), await freePort()];
      issuerOrigin = `http://localhost:${gatehousePort}`;
      const app = `http://localhost:${spaPort}`;
      gatehouse = await startGatehouse({
        databaseUrl: db().url,
        tenant: spaTenant(app, `http://localhost:${otherPort}`),
        port: gatehousePort,
        env: { GATEHOUSE_ISSUER: `${issuerOrigin}/` },
      });
      // auth0-spa-js turns a bare domain into https://: the scheme tells it that this issuer is http.
      spa = await startSpa({ port: spaPort, domain: issuerOrigin, clientId: CLIENT_ID, audience: API });
      other = await startSpa({
        port: otherPort,
        domain: issuerOrigin,
        clientId: CLIENT_ID,
        audience: API,
        authorizeTimeoutInSeconds: 3,
      });

      browser = await launchBrowser();
      context = await browser.newContext({ viewport: { width: 1024, height: 720 }, locale: 'en-US' });
      context.setDefaultTimeout(15_000);
      context.on('request', (request) => requested.push(request.url()));
      context.on('response', (response) => {
        const request = response.request();
        if (request.method() !== 'POST' || response.url() !== gatehouse!.url('/oauth/token')) return;
        const raw = request.postData() ?? '';
        const form = raw.startsWith('{')
          ? new URLSearchParams(JSON.parse(raw) as Record<string, string>)
          : new URLSearchParams(raw);
        tokenCalls.push(
          response
            .json()
            .catch(() => ({}))
            .then((body) => ({
              grant_type: form.get('grant_type'),
              refresh_token: form.get('refresh_token'),
              status: response.status(),
              body: body as Record<string, unknown>,
            })),
        );
      });
      page = await context.newPage();
    });

    after(async () => {
      await browser?.close().catch(() => {});
      await spa?.close();
      await other?.close();
      await gatehouse?.close();
    });

    const loginPage = () => new RegExp(`^${issuerOrigin.replace(/[.]/g, '\\.')}/u/login\\?state=`);
    /** The POSTs to /oauth/token since the last call, with their answers. */
    async function takeTokenCalls(): Promise<TokenCall[]> {
      const calls = await Promise.all(tokenCalls);
      tokenCalls = [];
      return calls;
    }
    async function ready(target = page) {
      await target.waitForFunction(() => window.spa !== undefined);
      await target.evaluate(() => window.spa.ready);
    }
    async function submitLogin(target: Page) {
      await target.getByLabel('Email address').fill(EMAIL);
      await target.getByLabel('Password').fill(PASSWORD);
      await target.getByRole('button', { name: 'Continue' }).click();
    }
    const tokenSilently = (target = page) => target.evaluate(() => window.spa.tokenSilently());
    const tokenWithRefreshToken = () => page.evaluate(() => window.spa.tokenWithRefreshToken());
    const authorizationResponses = (target = page) =>
      target.evaluate(() => window.spa.messages.filter((message) => message.type === 'authorization_response'));
    /** The refresh token that auth0-spa-js keeps (cacheLocation 'localstorage'). */
    const storedRefreshToken = () =>
      page.evaluate(() => {
        for (let i = 0; i < localStorage.length; i++) {
          const key = localStorage.key(i)!;
          if (!key.startsWith('@@auth0spajs@@')) continue;
          const entry = JSON.parse(localStorage.getItem(key)!) as { body?: { refresh_token?: string } };
          if (entry.body?.refresh_token) return entry.body.refresh_token;
        }
        return undefined;
      });
    /** A refresh token grant sent by the page itself, as an attacker holding the token would. */
    const refreshFromPage = (refreshToken: string) =>
      page.evaluate(
        async ({ url, clientId, refreshToken }) => {
          const response = await fetch(url, {
            method: 'POST',
            headers: { 'content-type': 'application/x-www-form-urlencoded' },
            body: new URLSearchParams({
              grant_type: 'refresh_token',
              client_id: clientId,
              refresh_token: refreshToken,
            }),
          });
          return { status: response.status, body: (await response.json()) as Record<string, unknown> };
        },
        { url: gatehouse!.url('/oauth/token'), clientId: CLIENT_ID, refreshToken },
      );
    function ok<T>(outcome: Outcome<T>, what: string): T {
      assert.ok(outcome.ok, `${what} failed: ${JSON.stringify(outcome)}`);
      return outcome.value;
    }
    function failed(outcome: Outcome, what: string) {
      assert.ok(!outcome.ok, `${what} unexpectedly succeeded: ${JSON.stringify(outcome)}`);
      return outcome;
    }

    test('loginWithRedirect → the login page → handleRedirectCallback → getUser', async () => {
      await page.goto(`${spa!.origin}/`);
      await ready();
      assert.equal(await page.locator('#status').textContent(), 'Not signed in');

      await page.getByRole('button', { name: 'Log in', exact: true }).click();
      await page.waitForURL(loginPage());
      const authorize = new URL(requested.find((url) => url.startsWith(`${issuerOrigin}/authorize?`))!);
      assert.equal(authorize.searchParams.get('client_id'), CLIENT_ID);
      assert.equal(authorize.searchParams.get('response_type'), 'code');
      assert.equal(authorize.searchParams.get('code_challenge_method'), 'S256');
      assert.equal(authorize.searchParams.get('redirect_uri'), `${spa!.origin}/`);
      assert.equal(authorize.searchParams.get('audience'), API);
      assert.ok(authorize.searchParams.get('nonce'));
      assert.ok(authorize.searchParams.get('auth0Client'), 'telemetry is sent, and ignored');

      requested = [];
      await submitLogin(page);
      await page.waitForFunction(() => window.spa?.results.callback !== undefined);
      ok(await page.evaluate(() => window.spa.results.callback), 'handleRedirectCallback');
      const callback = new URL(requested.find((url) => url.startsWith(`${spa!.origin}/?`))!);
      assert.deepEqual([...callback.searchParams.keys()].sort(), ['code', 'iss', 'state']);
      assert.equal(callback.searchParams.get('iss'), `${issuerOrigin}/`);
      assert.equal(page.url(), `${spa!.origin}/`, 'the app dropped the code from the address bar');

      const user = ok(await page.evaluate(() => window.spa.user()), 'getUser');
      assert.ok(user);
      assert.equal(user.email, EMAIL);
      assert.equal(user.name, 'Alice');
      assert.match(String(user.sub), /^auth0\|/);
      assert.equal(await page.locator('#status').textContent(), `Signed in as ${EMAIL}`);

      const [exchange] = await takeTokenCalls();
      assert.equal(exchange.grant_type, 'authorization_code');
      assert.equal(exchange.status, 200);
      assert.equal(exchange.body.refresh_token, undefined, 'no offline_access asked for, no refresh token');
    });

    test('getTokenSilently with cacheMode off: a hidden iframe, web_message and prompt=none give a new access token', async () => {
      requested = [];
      const first = ok(await tokenSilently(), 'getTokenSilently');
      const second = ok(await tokenSilently(), 'getTokenSilently');
      assert.notEqual(first.access_token, second.access_token, 'a new access token each time');
      for (const answer of [first, second]) {
        const claims = decodeJwt(answer.access_token);
        assert.deepEqual(claims.aud, [API, `${issuerOrigin}/userinfo`]);
        assert.equal(claims.azp, CLIENT_ID);
        assert.equal(decodeJwt(answer.id_token).email, EMAIL);
      }

      const silent = requested.filter((url) => url.startsWith(`${issuerOrigin}/authorize?`)).map((url) => new URL(url));
      assert.equal(silent.length, 2);
      for (const url of silent) {
        assert.equal(url.searchParams.get('response_mode'), 'web_message');
        assert.equal(url.searchParams.get('prompt'), 'none');
      }
      assert.deepEqual(
        requested.filter((url) => url.includes('/u/login')),
        [],
        'no login page',
      );
      const messages = await authorizationResponses();
      assert.equal(messages.length, 2);
      for (const message of messages) {
        assert.equal(message.origin, issuerOrigin);
        assert.deepEqual(message.keys, ['code', 'iss', 'state']);
      }
      const calls = await takeTokenCalls();
      assert.deepEqual(
        calls.map((call) => [call.grant_type, call.status]),
        [
          ['authorization_code', 200],
          ['authorization_code', 200],
        ],
      );
    });

    test('getTokenSilently with useRefreshTokens: rotation, a new id_token on every refresh, and reuse revokes the family', async () => {
      // No refresh token yet: the SDK falls back to the iframe once, asking for offline_access.
      const first = ok(await tokenWithRefreshToken(), 'getTokenSilently (refresh tokens)');
      assert.match(first.scope ?? '', /offline_access/);
      const [exchange] = await takeTokenCalls();
      assert.equal(exchange.grant_type, 'authorization_code');
      const initial = await storedRefreshToken();
      assert.ok(initial, 'a refresh token came with the code exchange');
      assert.equal(exchange.body.refresh_token, initial);

      const seen = [initial];
      const idTokens = [first.id_token];
      for (let rotation = 1; rotation <= 2; rotation++) {
        await sleep(1100); // a new second: a new ID token differs in iat
        const answer = ok(await tokenWithRefreshToken(), `refresh ${rotation}`);
        const [call] = await takeTokenCalls();
        assert.equal(call.grant_type, 'refresh_token', 'renewed with the refresh token, not the iframe');
        assert.equal(call.refresh_token, seen.at(-1));
        assert.equal(call.status, 200);
        assert.ok(call.body.id_token, 'every refresh answer carries an id_token');
        assert.ok(!idTokens.includes(call.body.id_token as string), 'a new id_token');
        idTokens.push(call.body.id_token as string);
        assert.equal(answer.id_token, call.body.id_token);
        const claims = decodeJwt(answer.id_token);
        assert.equal(claims.aud, CLIENT_ID);
        assert.equal(claims.email, EMAIL);
        assert.equal(claims.iss, `${issuerOrigin}/`);
        const rotated = await storedRefreshToken();
        assert.ok(rotated && !seen.includes(rotated), 'the refresh token changed');
        assert.equal(call.body.refresh_token, rotated);
        seen.push(rotated);
      }
      assert.equal(requested.filter((url) => url.includes('/u/login')).length, 0);

      // The first token is spent: presenting it again is a reuse. Refused, and the family is revoked, the
      // newest token included.
      const [spent, , newest] = seen;
      assert.deepEqual(await refreshFromPage(spent), { status: 403, body: INVALID_REFRESH });
      assert.deepEqual(
        await refreshFromPage(newest),
        { status: 403, body: INVALID_REFRESH },
        'the newest token was revoked too',
      );
      await takeTokenCalls();

      // The app's next renewal: Gatehouse refuses its (revoked) token with "invalid refresh token", the text
      // auth0-spa-js looks for to fall back to the iframe, which starts a new family.
      const recovered = ok(await tokenWithRefreshToken(), 'getTokenSilently after the family was revoked');
      const calls = await takeTokenCalls();
      assert.deepEqual(
        calls.map((call) => [call.grant_type, call.status]),
        [
          ['refresh_token', 403],
          ['authorization_code', 200],
        ],
      );
      assert.deepEqual(calls[0].body, INVALID_REFRESH);
      const fresh = await storedRefreshToken();
      assert.ok(fresh && !seen.includes(fresh));
      assert.ok(recovered.access_token);
    });

    test('web_message never answers an origin outside web_origins', async () => {
      const pkce = pkcePair();
      const silentUrl = (redirectUri: string) =>
        `${issuerOrigin}/authorize?${new URLSearchParams({
          client_id: CLIENT_ID,
          response_type: 'code',
          response_mode: 'web_message',
          prompt: 'none',
          redirect_uri: redirectUri,
          scope: 'openid',
          state: 'framed-state',
          code_challenge: pkce.challenge,
          code_challenge_method: 'S256',
        })}`;
      /** Frames a URL in the page and waits; resolves to the /authorize answer's status. */
      const frame = async (target: Page, url: string) => {
        const answer = target.waitForResponse((response) => response.url() === url);
        await target.evaluate((src) => {
          const iframe = document.createElement('iframe');
          iframe.src = src;
          document.body.append(iframe);
        }, url);
        const status = (await answer).status();
        await sleep(2000);
        return status;
      };

      const stranger = await context.newPage();
      try {
        await stranger.goto(`${other!.origin}/`);
        await ready(stranger);

        // The SDK on that origin: Gatehouse answers its iframe with an error page, the SDK hears nothing and
        // times out (authorizeTimeoutInSeconds: 3).
        const statuses: number[] = [];
        const onResponse = (response: { url(): string; status(): number }) => {
          if (response.url().startsWith(`${issuerOrigin}/authorize?`)) statuses.push(response.status());
        };
        stranger.on('response', onResponse);
        const outcome = failed(await tokenSilently(stranger), 'getTokenSilently from an origin outside web_origins');
        stranger.off('response', onResponse);
        assert.equal(outcome.error, 'timeout');
        assert.deepEqual(statuses, [400]);
        assert.deepEqual(await authorizationResponses(stranger), []);

        // A page of that origin framing a web_message request for the real app's redirect_uri: the answer
        // (a code, the session is live) may not be framed there and is addressed to the app's origin only.
        assert.equal(await frame(stranger, silentUrl(`${spa!.origin}/`)), 200);
        assert.deepEqual(await authorizationResponses(stranger), []);

        // Its own registered callback: refused before anything is issued.
        assert.equal(await frame(stranger, silentUrl(`${other!.origin}/`)), 400);
        assert.deepEqual(await authorizationResponses(stranger), []);
        assert.deepEqual(
          (await stranger.evaluate(() => window.spa.messages)).filter((m) => m.origin === issuerOrigin),
          [],
        );

        // The control: the same framed request from the app's own origin is answered.
        const before = (await authorizationResponses()).length;
        assert.equal(await frame(page, silentUrl(`${spa!.origin}/`)), 200);
        const messages = (await authorizationResponses()).slice(before);
        assert.deepEqual(messages, [
          { origin: issuerOrigin, type: 'authorization_response', keys: ['code', 'iss', 'state'] },
        ]);
      } finally {
        await stranger.close();
      }
      await takeTokenCalls();
    });

    /** Clicks Log out, follows Gatehouse's /v2/logout back to the app, and checks the session is gone. */
    async function logOutAndExpectLoginRequired() {
      requested = [];
      await page.getByRole('button', { name: 'Log out' }).click();
      await page.waitForURL(`${spa!.origin}/`);
      await ready();
      const logout = new URL(requested.find((url) => url.startsWith(`${issuerOrigin}/v2/logout?`))!);
      assert.equal(logout.searchParams.get('client_id'), CLIENT_ID);
      assert.equal(logout.searchParams.get('returnTo'), `${spa!.origin}/`);
      assert.equal(await page.locator('#status').textContent(), 'Not signed in');
      assert.equal(
        (await context.cookies(`${issuerOrigin}/`)).find((cookie) => cookie.name === 'gatehouse_session'),
        undefined,
      );

      const before = (await authorizationResponses()).length;
      const silent = failed(await tokenSilently(), 'getTokenSilently after logout');
      assert.equal(silent.error, 'login_required');
      const [message] = (await authorizationResponses()).slice(before);
      assert.deepEqual(message, {
        origin: issuerOrigin,
        type: 'authorization_response',
        keys: ['error', 'error_description', 'iss', 'state'],
      });
      // The refresh-token client forgot its tokens at logout; its iframe fallback hears login_required too.
      assert.equal(await storedRefreshToken(), undefined);
      assert.equal(
        failed(await tokenWithRefreshToken(), 'getTokenSilently (refresh tokens) after logout').error,
        'login_required',
      );
      await takeTokenCalls();
    }

    test('logout ends the session: silent renewal then fails with login_required', async () => {
      await logOutAndExpectLoginRequired();
    });

    test('loginWithPopup: the login page in a popup, the answer posted to window.opener', async () => {
      const popupOpened = page.waitForEvent('popup');
      await page.getByRole('button', { name: 'Log in with a popup' }).click();
      const popup = await popupOpened;
      await popup.waitForURL(loginPage());
      const authorize = new URL([...requested].reverse().find((url) => url.startsWith(`${issuerOrigin}/authorize?`))!);
      assert.equal(authorize.searchParams.get('response_mode'), 'web_message');
      const closed = popup.waitForEvent('close');
      await submitLogin(popup);
      await page.waitForFunction(() => window.spa.results.popup !== undefined);
      ok(await page.evaluate(() => window.spa.results.popup), 'loginWithPopup');
      await closed; // the SDK closes the popup once the answer arrived
      const [message] = (await authorizationResponses()).slice(-1);
      assert.deepEqual(message, {
        origin: issuerOrigin,
        type: 'authorization_response',
        keys: ['code', 'iss', 'state'],
      });

      const user = ok(await page.evaluate(() => window.spa.user()), 'getUser');
      assert.equal(user?.email, EMAIL);
      assert.equal(await page.locator('#status').textContent(), `Signed in as ${EMAIL}`);
      ok(await tokenSilently(), 'getTokenSilently with the session the popup started');

      await logOutAndExpectLoginRequired();
    });
  });
});
