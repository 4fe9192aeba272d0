// Consent over HTTP (docs/sign-in.md "Consent"): prompt=none answers consent_required while consent is needed and a code once
// it was given; the consent form is accepted only from the browser it was served to (a refused POST stores
// nothing); a Decline is not stored, so the next request asks again.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { decodeJwt } from 'jose';
import { forEachDatabase } from '../helpers/each-database.js';
import { type RunningGatehouse, startGatehouse } from '../helpers/server.js';
import {
  type Answer,
  authorizeUrl,
  callbackOf,
  CookieJarClient,
  logIn,
  openPage,
  postToken,
} from '../helpers/http-client.js';
import { acmeApi, alice, bob, API, CALLBACK, DB, PASSWORD, scopes, tenant, webClient } from '../helpers/fixtures.js';

const SECRET = 'partner-secret-0123456789-abcdefghijklmnopqrst';
const ALICE = 'alice@acme.test';
const BOB = 'bob@acme.test';
const CSRF_REFUSED = 'The form could not be verified (it may have expired). Go back and try again.';

/** A third-party client (is_first_party: false), so consent is asked. */
const partnerTenant = () =>
  tenant({
    resource_servers: [
      acmeApi({ scopes: scopes(['read:items', 'Read your items'], ['write:items', 'Change your items']) }),
    ],
    clients: [
      webClient({
        client_id: 'partner',
        client_secret: SECRET,
        name: 'Partner Planner',
        token_endpoint_auth_method: 'client_secret_post',
        is_first_party: false,
      }),
    ],
    users: [alice(), bob()],
  });

const params = (extra: Record<string, string> = {}) => ({
  client_id: 'partner',
  redirect_uri: CALLBACK,
  response_type: 'code',
  scope: 'openid profile read:items',
  audience: API,
  state: 'st-consent',
  ...extra,
});

forEachDatabase('consent at /authorize', (db) => {
  let server: RunningGatehouse;
  before(async () => {
    server = await startGatehouse({ databaseUrl: db().url, tenant: partnerTenant() });
  });
  after(() => server?.close());

  const userId = async (email: string) => (await server.gatehouse.store.users.findByEmail(DB, email))!.user_id;
  const accepted = async (email: string) => server.gatehouse.store.consents.scopes(await userId(email), 'partner', API);

  /** Signs in on the login page; the browser is then sent to the consent page, which is returned. */
  async function signInToConsent(
    browser: CookieJarClient,
    email: string,
    extra: Record<string, string> = {},
    password = PASSWORD,
  ) {
    const posted = await logIn(browser, params(extra), email, password);
    const resumed = await browser.get(posted.location!);
    return openPage(browser, resumed, '/u/consent');
  }

  /** /authorize with the browser's session, expecting the consent page. */
  async function consentAgain(browser: CookieJarClient, extra: Record<string, string> = {}) {
    return openPage(browser, await browser.get(authorizeUrl(server, params(extra))), '/u/consent');
  }

  /** A callback URL's parameters as an object, for whole-answer assertions. */
  const paramsOf = (url: URL) => Object.fromEntries(url.searchParams);

  async function promptNone(browser: CookieJarClient, state: string): Promise<URL> {
    const answer = await browser.get(authorizeUrl(server, params({ prompt: 'none', state })));
    assert.equal(answer.status, 302, answer.text);
    const url = new URL(answer.location!);
    assert.equal(url.origin + url.pathname, CALLBACK);
    return url;
  }

  function assertConsentRequired(url: URL, state: string) {
    assert.deepEqual(paramsOf(url), {
      error: 'consent_required',
      error_description: 'Consent required',
      state,
      iss: server.issuer,
    });
  }

  function assertRefused(answer: Answer) {
    assert.equal(answer.status, 403, answer.text);
    assert.match(answer.headers.get('content-type') ?? '', /^text\/html/);
    assert.ok(answer.text.includes(CSRF_REFUSED), answer.text);
    assert.equal(answer.location, undefined);
  }

  describe('prompt=none', () => {
    let browser: CookieJarClient;
    const alice = () => browser;

    test('signed in but consent needed: consent_required at the redirect URI, with state and iss', async () => {
      browser = new CookieJarClient(server);
      await signInToConsent(alice(), ALICE);
      // The consent page is left unanswered: the application tries silently.
      assertConsentRequired(await promptNone(alice(), 'st-none-1'), 'st-none-1');
      assert.deepEqual(await accepted(ALICE), []);
    });

    test('after Accept, prompt=none answers with a code, and the tokens carry the accepted scopes', async () => {
      const { page, form } = await consentAgain(alice());
      for (const text of ['Confirm your identity', 'Read your items', 'read:items', 'Accept', 'Decline'])
        assert.ok(page.text.includes(text), text);
      const posted = await alice().post(form.action, { _csrf: form.csrf, action: 'accept' });
      assert.equal(posted.status, 303, posted.text);
      const callback = await callbackOf(alice(), posted);
      assert.equal(callback.searchParams.get('state'), 'st-consent');
      assert.ok(callback.searchParams.get('code'));
      assert.deepEqual((await accepted(ALICE)).sort(), ['openid', 'profile', 'read:items']);

      const silent = await promptNone(alice(), 'st-none-2');
      assert.deepEqual(Object.keys(paramsOf(silent)).sort(), ['code', 'iss', 'state']);
      assert.equal(silent.searchParams.get('state'), 'st-none-2');
      const token = await postToken(server, {
        grant_type: 'authorization_code',
        code: silent.searchParams.get('code')!,
        redirect_uri: CALLBACK,
        client_id: 'partner',
        client_secret: SECRET,
      });
      assert.equal(token.status, 200, JSON.stringify(token.body));
      assert.equal(decodeJwt(token.body.access_token as string).scope, 'openid profile read:items');
    });

    test('a subset of the accepted scopes needs no consent; a new scope gives consent_required again', async () => {
      const subset = await alice().get(
        authorizeUrl(server, params({ prompt: 'none', scope: 'openid read:items', state: 'st-sub' })),
      );
      assert.ok(new URL(subset.location!).searchParams.get('code'), subset.location);
      const wider = await alice().get(
        authorizeUrl(
          server,
          params({ prompt: 'none', scope: 'openid profile read:items write:items', state: 'st-new' }),
        ),
      );
      assertConsentRequired(new URL(wider.location!), 'st-new');
    });

    test('prompt=consent asks even when everything was accepted', async () => {
      const { page } = await consentAgain(alice(), { prompt: 'consent' });
      assert.ok(page.text.includes('Read your items'));
    });
  });

  describe('CSRF: the consent form is accepted only from the browser it was served to', () => {
    interface Row {
      name: string;
      /** The cookies and token that go with Alice's consent form, given Bob's (a second browser). */
      forge(
        alice: { browser: CookieJarClient; csrf: string },
        bob: { browser: CookieJarClient; csrf: string },
      ): { csrfCookie?: string; token: string };
    }
    const csrfCookie = (browser: CookieJarClient) => browser.cookie('gatehouse_csrf');
    const rows: Row[] = [
      { name: 'without the CSRF cookie', forge: (a) => ({ csrfCookie: undefined, token: a.csrf }) },
      {
        name: "with another browser's CSRF cookie",
        forge: (a, b) => ({ csrfCookie: csrfCookie(b.browser), token: a.csrf }),
      },
      { name: "with another browser's token", forge: (a, b) => ({ csrfCookie: csrfCookie(a.browser), token: b.csrf }) },
      { name: 'without a token', forge: (a) => ({ csrfCookie: csrfCookie(a.browser), token: '' }) },
    ];

    for (const row of rows) {
      test(`${row.name}: 403, nothing stored, and the page still works`, async () => {
        const users = [`csrf-${rows.indexOf(row)}-a@acme.test`, `csrf-${rows.indexOf(row)}-b@acme.test`];
        for (const email of users) {
          const answer = await fetch(server.url('/dbconnections/signup'), {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ client_id: 'partner', connection: DB, email, password: PASSWORD }),
          });
          assert.equal(answer.status, 200, await answer.text());
        }
        const a = new CookieJarClient(server);
        const b = new CookieJarClient(server);
        const aConsent = await signInToConsent(a, users[0], {}, PASSWORD);
        const bConsent = await signInToConsent(b, users[1], {}, PASSWORD);
        assert.ok(csrfCookie(a) && csrfCookie(b) && csrfCookie(a) !== csrfCookie(b));
        const forged = row.forge({ browser: a, csrf: aConsent.form.csrf }, { browser: b, csrf: bConsent.form.csrf });

        const transactionId = new URL(aConsent.form.action, server.issuer).searchParams.get('state')!;
        const transactions = server.gatehouse.store.loginTransactions;
        const before = await transactions.get(transactionId);
        assert.ok(before);
        const victim = new CookieJarClient(server);
        victim.setCookie('gatehouse_session', a.cookie('gatehouse_session')!);
        if (forged.csrfCookie) victim.setCookie('gatehouse_csrf', forged.csrfCookie, '/u');
        assertRefused(await victim.post(aConsent.form.action, { _csrf: forged.token, action: 'accept' }));
        assertRefused(await victim.post(aConsent.form.action, { _csrf: forged.token, action: 'decline' }));
        assert.deepEqual(
          await server.gatehouse.store.consents.scopes(await userId(users[0]), 'partner', API),
          [],
          'no consent stored',
        );
        assert.deepEqual(
          await transactions.get(transactionId),
          before,
          'the transaction is unchanged (neither consented nor ended)',
        );

        // The real browser's form still works afterwards.
        const posted = await a.post(aConsent.form.action, { _csrf: aConsent.form.csrf, action: 'accept' });
        assert.equal(posted.status, 303, posted.text);
        assert.ok((await callbackOf(a, posted)).searchParams.get('code'));
      });
    }
  });

  describe('Decline', () => {
    test('answers access_denied with state and iss, stores nothing, and the next request asks again', async () => {
      const browser = new CookieJarClient(server);
      const { form } = await signInToConsent(browser, BOB, { state: 'st-decline' });
      const posted = await browser.post(form.action, { _csrf: form.csrf, action: 'decline' });
      // RFC 9700 §4.12: after a form POST, 303.
      assert.equal(posted.status, 303, posted.text);
      const callback = new URL(posted.location!);
      assert.equal(callback.origin + callback.pathname, CALLBACK);
      assert.deepEqual(paramsOf(callback), {
        error: 'access_denied',
        error_description: 'User did not authorize the request',
        state: 'st-decline',
        iss: server.issuer,
      });
      assert.deepEqual(await accepted(BOB), []);

      // The transaction is over: posting the same form again does not give a code.
      const again = await browser.post(form.action, { _csrf: form.csrf, action: 'accept' });
      assert.equal(again.status, 400, again.text);
      assert.deepEqual(await accepted(BOB), []);

      // Not remembered: still signed in, the next request shows the consent page again, prompt=none is refused.
      const next = await consentAgain(browser, { state: 'st-after-decline' });
      assert.ok(next.page.text.includes('Read your items'));
      assertConsentRequired(await promptNone(browser, 'st-none-3'), 'st-none-3');
    });

    test('the consent page and form of an unknown transaction are an error page, not a redirect', async () => {
      const browser = new CookieJarClient(server);
      const { form } = await signInToConsent(browser, BOB);
      const answer = await browser.get('/u/consent?state=unknown-transaction');
      assert.equal(answer.status, 400);
      assert.equal(answer.location, undefined);
      const posted = await browser.post('/u/consent?state=unknown-transaction', { _csrf: form.csrf, action: 'accept' });
      assert.equal(posted.status, 400);
      assert.equal(posted.location, undefined);
    });
  });
});
