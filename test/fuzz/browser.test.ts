// Hostile input at the browser's pages: /authorize (GET and POST), /authorize/resume, the /u/* forms (login,
// sign-up, consent, passwordless, reset password, e-mail verification) with and without a valid transaction,
// CSRF token and cookies, and logout. Every answer is an HTML page (an error page for a refusal) or a redirect
// to a registered URI or the server's own pages; never a 5xx, a leak or a hang (harness.ts).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { CALLBACK } from '../helpers/fixtures.js';
import { CookieJarClient, openLogin, pageForm } from '../helpers/http-client.js';
import { bodyOf, fuzzParameters, headersOf, type Pairs, paramsOf, queryJunk, rawRequest } from './harness.js';
import { onSqlite } from './target.js';

const authorizeParams = [
  'client_id',
  'redirect_uri',
  'response_type',
  'response_mode',
  'scope',
  'state',
  'nonce',
  'prompt',
  'max_age',
  'audience',
  'connection',
  'login_hint',
  'screen_hint',
  'code_challenge',
  'code_challenge_method',
  'id_token_hint',
  'login_ticket',
  'request',
  'request_uri',
  'display',
  'ui_locales',
  'organization',
  'invitation',
];
const authorizeValues = [
  'static',
  'public',
  'basic',
  'nobody',
  CALLBACK,
  'http://localhost:3007/',
  'code',
  'token',
  'id_token',
  'code id_token',
  'id_token token',
  'query',
  'fragment',
  'form_post',
  'web_message',
  'none',
  'login',
  'consent',
  'signup',
  'openid profile email offline_access',
  'S256',
  'plain',
  'Username-Password-Authentication',
  'email',
  'https://offline.acme.test',
];
const pageFields = [
  'email',
  'password',
  'password_confirm',
  '_csrf',
  'action',
  'phone_number',
  'code',
  'ticket',
  'state',
];

/** Browser pages and what they read: [method, path]. */
const pages: [string, string][] = [
  ['GET', '/u/login'],
  ['POST', '/u/login'],
  ['GET', '/u/signup'],
  ['POST', '/u/signup'],
  ['GET', '/u/consent'],
  ['POST', '/u/consent'],
  ['GET', '/u/login/passwordless'],
  ['POST', '/u/login/passwordless'],
  ['POST', '/u/login/passwordless/challenge'],
  ['GET', '/u/reset-password/request'],
  ['POST', '/u/reset-password/request'],
  ['GET', '/u/reset-password'],
  ['POST', '/u/reset-password'],
  ['GET', '/u/email-verification'],
  ['GET', '/authorize/resume'],
  ['GET', '/passwordless/verify_redirect'],
  ['GET', '/v2/logout'],
  ['GET', '/oidc/logout'],
  ['POST', '/oidc/logout'],
];

const cookieLine = (client: CookieJarClient, names: string[]) =>
  names
    .map((name) => [name, client.cookie(name)])
    .filter(([, value]) => value)
    .map(([name, value]) => `${name}=${value}`)
    .join('; ');

onSqlite('Hostile input at the browser pages', (target) => {
  test('/authorize answers every generated request with a page or a redirect to a registered URI', async () => {
    const { browser, authorizations } = target();
    const session = cookieLine(browser, ['gatehouse_session', 'gatehouse_browser']);
    const base = { client_id: 'static', redirect_uri: CALLBACK, response_type: 'code', scope: 'openid', state: 's' };
    const params = paramsOf(authorizeParams, base, authorizeValues);
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('GET', 'GET', 'GET', 'POST'),
        params,
        bodyOf(params),
        headersOf(authorizations, [session]),
        queryJunk,
        async (method, query, body, headers, junk) =>
          target().check(
            rawRequest(method, '/authorize', query, method === 'POST' ? body : undefined, headers, junk),
            'html',
          ),
      ),
      fuzzParameters(150),
    );
  });

  test('the /u/* forms answer generated requests with a valid transaction, CSRF token and cookies with a page', async () => {
    const { it } = target();
    // A sign-in transaction, its form's CSRF token and the browser's cookies.
    const client = new CookieJarClient(it.server);
    const { form } = await openLogin(client, {
      client_id: 'static',
      redirect_uri: CALLBACK,
      response_type: 'code',
      scope: 'openid',
    });
    const state = new URL(form.action, it.server.issuer).searchParams.get('state')!;
    // A password-reset ticket and its page's CSRF token.
    const ticket = await it.call('/tickets/password-change', it.adminToken, {
      method: 'POST',
      body: { user_id: 'auth0|alice' },
    });
    assert.equal(ticket.status, 201, JSON.stringify(ticket.body));
    const ticketId = new URL(ticket.body.ticket as string).searchParams.get('ticket')!;
    const resetPage = await client.get(`/u/reset-password?ticket=${encodeURIComponent(ticketId)}`);
    const resetCsrf = pageForm(resetPage).csrf;
    const cookies = cookieLine(client, ['gatehouse_csrf', 'gatehouse_browser', 'gatehouse_session']);
    const good = { state, ticket: ticketId, _csrf: form.csrf, email: 'alice@acme.test', password: 'Sunny-Meadow-43' };
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...pages),
        paramsOf(['state', 'ticket'], { state, ticket: ticketId }),
        bodyOf(paramsOf(pageFields, good, [resetCsrf, 'accept', 'deny', '123456'])),
        headersOf([], [cookies]),
        async ([method, path], query, body, headers) =>
          target().check(
            rawRequest(method, path, query, method === 'POST' ? body : undefined, [['cookie', cookies], ...headers]),
            'html',
          ),
      ),
      fuzzParameters(150),
    );
  });

  test('the /u/* forms answer generated requests without a transaction or CSRF token with a page', async () => {
    const junkState = fc.oneof(fc.string({ maxLength: 40 }), fc.constantFrom('%00', '../', 'a'.repeat(200)));
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...pages),
        junkState.map(
          (s): Pairs => [
            ['state', s],
            ['ticket', s],
          ],
        ),
        bodyOf(paramsOf(pageFields)),
        headersOf(),
        queryJunk,
        async ([method, path], query, body, headers, junk) =>
          target().check(rawRequest(method, path, query, method === 'POST' ? body : undefined, headers, junk), 'html'),
      ),
      fuzzParameters(100),
    );
  });
});
