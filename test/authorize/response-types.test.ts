// Every response type of /authorize (OAuth 2.0 Multiple Response Type Encoding Practices, OIDC Core §3.2,
// §3.3) in the fragment (their default) and as form_post, for a person signed in over HTTP: which parameters
// come back, the ID token checked against the JWKS with its nonce, at_hash exactly when an access token
// travels with it and c_hash exactly when a code does, and the hybrid code redeemed. Tokens are never put in
// a query, a missing nonce is refused with state, and openid-client's implicit and hybrid flows work
// unchanged. Then response_mode=web_message (Auth0 docs: "Configure Silent Authentication"): the page, its headers, and the message it
// posts, for a code, for tokens and for login_required.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { runInNewContext } from 'node:vm';
import { createRemoteJWKSet, decodeJwt, jwtVerify } from 'jose';
import { after, before, test } from 'node:test';
import * as oidc from 'openid-client';
import { forEachDatabase } from '../helpers/each-database.js';
import { type RunningGatehouse, startGatehouse } from '../helpers/server.js';
import {
  type Answer,
  authorizeUrl,
  basicAuth,
  CookieJarClient,
  decodeHtml,
  pkcePair,
  postToken,
  signIn,
} from '../helpers/http-client.js';
import { CALLBACK, OPEN_API, signInTenant, spaClient, users, webClient } from '../helpers/fixtures.js';

const CLIENT = 'implicit-web';
const SECRET = 'implicit-secret-0123456789-abcdefghijklmnopqrstu';
const SPA = 'wm-spa';
const SPA_ORIGIN = 'http://localhost:3002';
/** A registered callback of the SPA whose origin is not one of its web_origins. */
const NOT_A_WEB_ORIGIN = 'http://localhost:3003/';

const responseTypes = [
  'token',
  'id_token',
  'id_token token',
  'code id_token',
  'code token',
  'code id_token token',
] as const;
const withIdToken = responseTypes.filter((type) => type.split(' ').includes('id_token'));

/** Clients of their own here: implicit and hybrid need the implicit grant, web_message needs web_origins. */
const responseTypesTenant = () =>
  signInTenant({
    clients: [
      webClient({
        client_id: CLIENT,
        client_secret: SECRET,
        name: 'Implicit and hybrid web app',
        grant_types: ['authorization_code', 'implicit'],
        allowed_logout_urls: [],
      }),
      spaClient({
        client_id: SPA,
        name: 'web_message SPA',
        grant_types: ['authorization_code', 'implicit'],
        callbacks: [`${SPA_ORIGIN}/`, NOT_A_WEB_ORIGIN],
        web_origins: [SPA_ORIGIN, 'https://app.acme.test'],
      }),
    ],
  });

/** OIDC Core §3.3.2.11: base64url of the left half of the SHA-256 of the ASCII value. */
const halfHash = (value: string) =>
  createHash('sha256').update(value, 'ascii').digest().subarray(0, 16).toString('base64url');

/** The fields of a form_post page. */
function formFields(page: Answer): { action: string; fields: Record<string, string> } {
  const action = /<form method="post" action="([^"]*)"/.exec(page.text)?.[1];
  assert.ok(action, `no form in:\n${page.text}`);
  const fields: Record<string, string> = {};
  for (const [, name, value] of page.text.matchAll(/<input type="hidden" name="([^"]*)" value="([^"]*)">/g))
    fields[decodeHtml(name)] = decodeHtml(value);
  return { action: decodeHtml(action), fields };
}

/** Runs a web_message page's script against a fake window; returns what it posted, and to which origin. */
function postedMessages(page: Answer): { message: unknown; targetOrigin: string }[] {
  const script = /<script nonce="[^"]+">([\s\S]*?)<\/script>/.exec(page.text)?.[1];
  assert.ok(script, `no script in:\n${page.text}`);
  const posted: { message: unknown; targetOrigin: string }[] = [];
  const parent = {
    postMessage: (message: unknown, targetOrigin: string) =>
      posted.push({ message: JSON.parse(JSON.stringify(message)), targetOrigin }),
  };
  runInNewContext(script, { window: { opener: null, parent } });
  return posted;
}

forEachDatabase('every response type of /authorize', (db) => {
  let server: RunningGatehouse;
  let jwks: ReturnType<typeof createRemoteJWKSet>;
  /** Alice, signed in: every answer below comes straight from her session. */
  let alice: CookieJarClient;

  before(async () => {
    server = await startGatehouse({ databaseUrl: db().url, tenant: responseTypesTenant() });
    jwks = createRemoteJWKSet(new URL(server.url('/.well-known/jwks.json')));
    alice = new CookieJarClient(server);
    await signIn(
      alice,
      { client_id: CLIENT, redirect_uri: CALLBACK, response_type: 'code', scope: 'openid' },
      users.alice.email,
    );
  });
  after(() => server.close());

  const request = (responseType: string, extra: Record<string, string> = {}) =>
    authorizeUrl(server, {
      client_id: CLIENT,
      redirect_uri: CALLBACK,
      response_type: responseType,
      scope: 'openid profile read:items',
      audience: OPEN_API,
      state: 'st-42',
      nonce: 'n-0S6_WzA2Mj',
      ...extra,
    });

  /** The authorization response's parameters, from the fragment or the form_post page. */
  async function answer(responseType: string, mode: 'fragment' | 'form_post', extra: Record<string, string> = {}) {
    const response = await alice.get(
      request(responseType, mode === 'form_post' ? { response_mode: 'form_post', ...extra } : extra),
    );
    if (mode === 'fragment') {
      assert.equal(response.status, 302, response.text);
      const location = new URL(response.location!);
      assert.equal(`${location.origin}${location.pathname}`, CALLBACK);
      assert.equal(location.search, '', 'nothing in the query');
      return { params: Object.fromEntries(new URLSearchParams(location.hash.slice(1))), response };
    }
    assert.equal(response.status, 200, response.text);
    assert.match(response.headers.get('content-type') ?? '', /^text\/html/);
    const { action, fields } = formFields(response);
    assert.equal(action, CALLBACK);
    return { params: fields, response };
  }

  for (const responseType of responseTypes) {
    const parts = responseType.split(' ');
    const code = parts.includes('code');
    const token = parts.includes('token');
    const idToken = parts.includes('id_token');
    for (const mode of ['fragment', 'form_post'] as const) {
      test(`response_type=${responseType} (${mode === 'fragment' ? 'fragment, the default' : 'form_post'})`, async () => {
        const { params } = await answer(responseType, mode);
        const expected = ['state', 'iss'];
        if (code) expected.push('code');
        if (token) expected.push('access_token', 'token_type', 'expires_in', 'scope');
        if (idToken) expected.push('id_token');
        assert.deepEqual(Object.keys(params).sort(), expected.sort());
        assert.equal(params.state, 'st-42');
        assert.equal(params.iss, server.issuer);

        if (token) {
          assert.equal(params.token_type, 'Bearer');
          const { payload } = await jwtVerify(params.access_token, jwks, { issuer: server.issuer, audience: OPEN_API });
          assert.equal(payload.sub, users.alice.user_id);
          assert.equal(payload.azp, CLIENT);
          assert.equal(Number(params.expires_in), payload.exp! - payload.iat!);
          assert.equal(params.scope, 'openid profile read:items');
        }
        if (idToken) {
          const { payload, protectedHeader } = await jwtVerify(params.id_token, jwks, {
            issuer: server.issuer,
            audience: CLIENT,
          });
          assert.equal(protectedHeader.alg, 'RS256');
          assert.equal(payload.nonce, 'n-0S6_WzA2Mj');
          assert.equal(payload.sub, users.alice.user_id);
          assert.equal(payload.name, 'Alice Liddell', 'profile claims in the ID token itself');
          assert.equal(payload.at_hash, token ? halfHash(params.access_token) : undefined);
          assert.equal(payload.c_hash, code ? halfHash(params.code) : undefined);
        }
        if (code) {
          const redeemed = await postToken(
            server,
            { grant_type: 'authorization_code', code: params.code, redirect_uri: CALLBACK },
            { authorization: basicAuth(CLIENT, SECRET) },
          );
          assert.equal(redeemed.status, 200, JSON.stringify(redeemed.body));
          const claims = (
            await jwtVerify(redeemed.body.id_token as string, jwks, { issuer: server.issuer, audience: CLIENT })
          ).payload;
          assert.equal(claims.nonce, 'n-0S6_WzA2Mj');
          assert.equal(claims.at_hash, undefined);
          assert.equal(claims.c_hash, undefined);
          assert.equal(Array.isArray(decodeJwt(redeemed.body.access_token as string).aud), true);
          if (token)
            assert.notEqual(redeemed.body.access_token, params.access_token, 'the token endpoint issues its own');
        }
      });
    }
  }

  for (const responseType of responseTypes) {
    test(`response_type=${responseType} with response_mode=query is refused, in the fragment`, async () => {
      const response = await alice.get(request(responseType, { response_mode: 'query' }));
      assert.equal(response.status, 302);
      const location = new URL(response.location!);
      assert.equal(location.search, '', 'nothing in the query');
      const params = Object.fromEntries(new URLSearchParams(location.hash.slice(1)));
      assert.equal(params.error, 'invalid_request');
      assert.match(params.error_description, /query/);
      assert.equal(params.state, 'st-42');
      assert.equal(params.iss, server.issuer);
      assert.deepEqual(Object.keys(params).sort(), ['error', 'error_description', 'iss', 'state']);
    });
  }

  for (const responseType of withIdToken) {
    test(`response_type=${responseType} without a nonce is refused with state`, async () => {
      for (const mode of ['fragment', 'form_post'] as const) {
        const { params } = await answer(responseType, mode, { nonce: '' });
        assert.deepEqual(params, {
          error: 'invalid_request',
          error_description: 'Missing required parameter: nonce',
          state: 'st-42',
          iss: server.issuer,
        });
      }
    });
  }

  test('code token without a nonce is fine: no ID token comes from /authorize', async () => {
    const { params } = await answer('code token', 'fragment', { nonce: '' });
    assert.ok(params.code && params.access_token);
  });

  const discover = (clientAuth: oidc.ClientAuth, use: (config: oidc.Configuration) => void) =>
    oidc.discovery(new URL(server.issuer), CLIENT, undefined, clientAuth, {
      execute: [oidc.allowInsecureRequests, use],
    });

  test('openid-client implicitAuthentication (useIdTokenResponseType), in the fragment and as form_post', async () => {
    const config = await discover(oidc.None(), oidc.useIdTokenResponseType);
    for (const mode of ['fragment', 'form_post'] as const) {
      const nonce = oidc.randomNonce();
      const state = oidc.randomState();
      const url = oidc.buildAuthorizationUrl(config, {
        redirect_uri: CALLBACK,
        scope: 'openid email',
        nonce,
        state,
        ...(mode === 'form_post' ? { response_mode: 'form_post' } : {}),
      });
      assert.equal(url.searchParams.get('response_type'), 'id_token');
      const response = await alice.get(url);
      const current =
        mode === 'fragment'
          ? new URL(response.location!)
          : new Request(CALLBACK, {
              method: 'POST',
              headers: { 'content-type': 'application/x-www-form-urlencoded' },
              body: new URLSearchParams(formFields(response).fields),
            });
      const claims = await oidc.implicitAuthentication(config, current, nonce, { expectedState: state });
      assert.equal(claims.sub, users.alice.user_id);
      assert.equal(claims.email, users.alice.email);
      assert.equal(claims.nonce, nonce);
    }
  });

  test('openid-client hybrid flow (useCodeIdTokenResponseType), in the fragment and as form_post', async () => {
    const config = await discover(oidc.ClientSecretBasic(SECRET), oidc.useCodeIdTokenResponseType);
    for (const mode of ['fragment', 'form_post'] as const) {
      const nonce = oidc.randomNonce();
      const state = oidc.randomState();
      const verifier = oidc.randomPKCECodeVerifier();
      const url = oidc.buildAuthorizationUrl(config, {
        redirect_uri: CALLBACK,
        scope: 'openid profile',
        nonce,
        state,
        code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
        code_challenge_method: 'S256',
        ...(mode === 'form_post' ? { response_mode: 'form_post' } : {}),
      });
      assert.equal(url.searchParams.get('response_type'), 'code id_token');
      const response = await alice.get(url);
      const current =
        mode === 'fragment'
          ? new URL(response.location!)
          : new Request(CALLBACK, {
              method: 'POST',
              headers: { 'content-type': 'application/x-www-form-urlencoded' },
              body: new URLSearchParams(formFields(response).fields),
            });
      // openid-client checks the front-channel ID token (signature, nonce, c_hash, state, iss), then redeems the code.
      const tokens = await oidc.authorizationCodeGrant(config, current, {
        expectedNonce: nonce,
        expectedState: state,
        pkceCodeVerifier: verifier,
      });
      assert.equal(tokens.claims()?.sub, users.alice.user_id);
      assert.equal(tokens.claims()?.nonce, nonce);
      assert.ok(tokens.access_token);
    }
  });

  // response_mode=web_message
  const webMessageUrl = (extra: Record<string, string> = {}) => {
    const pkce = pkcePair();
    return {
      verifier: pkce.verifier,
      url: authorizeUrl(server, {
        client_id: SPA,
        redirect_uri: `${SPA_ORIGIN}/`,
        response_type: 'code',
        response_mode: 'web_message',
        prompt: 'none',
        scope: 'openid profile',
        state: 'wm-state',
        nonce: 'wm-nonce',
        code_challenge: pkce.challenge,
        code_challenge_method: 'S256',
        ...extra,
      }),
    };
  };

  function assertWebMessagePage(page: Answer) {
    assert.equal(page.status, 200, page.text);
    assert.match(page.headers.get('content-type') ?? '', /^text\/html/);
    assert.equal(page.headers.get('cache-control'), 'no-cache, no-store');
    assert.equal(page.headers.get('cross-origin-opener-policy'), null, 'COOP would cut window.opener (loginWithPopup)');
    assert.equal(page.headers.get('x-frame-options'), null);
    const csp = page.headers.get('content-security-policy') ?? '';
    assert.match(csp, /frame-ancestors http:\/\/localhost:3002 https:\/\/app\.acme\.test(;|$)/);
    assert.match(page.text, /<title>Authorization Response<\/title>/);
    assert.doesNotMatch(page.text, /["']\*["']/, 'never "*" as the target origin');
    const posted = postedMessages(page);
    assert.equal(posted.length, 1);
    assert.equal(posted[0].targetOrigin, SPA_ORIGIN);
    return posted[0].message as { type: string; response: Record<string, string> };
  }

  test('web_message: a code for the redirect_uri origin, posted to it alone, redeemable with PKCE', async () => {
    const { url, verifier } = webMessageUrl();
    const message = assertWebMessagePage(await alice.get(url));
    assert.equal(message.type, 'authorization_response');
    assert.deepEqual(Object.keys(message.response).sort(), ['code', 'iss', 'state']);
    assert.equal(message.response.state, 'wm-state');
    assert.equal(message.response.iss, server.issuer);
    const redeemed = await postToken(server, {
      grant_type: 'authorization_code',
      client_id: SPA,
      code: message.response.code,
      code_verifier: verifier,
      redirect_uri: `${SPA_ORIGIN}/`,
    });
    assert.equal(redeemed.status, 200, JSON.stringify(redeemed.body));
    assert.equal(decodeJwt(redeemed.body.id_token as string).nonce, 'wm-nonce');
  });

  test('web_message: opener first, else parent', async () => {
    const page = await alice.get(webMessageUrl().url);
    const script = /<script nonce="[^"]+">([\s\S]*?)<\/script>/.exec(page.text)![1];
    const to: string[] = [];
    const target = (name: string) => ({ postMessage: () => to.push(name) });
    runInNewContext(script, { window: { opener: target('opener'), parent: target('parent') } });
    assert.deepEqual(to, ['opener']);
    const csp = page.headers.get('content-security-policy')!;
    const nonce = /script-src 'nonce-([^']+)'/.exec(csp)?.[1];
    assert.ok(nonce && page.text.includes(`<script nonce="${nonce}">`), 'the CSP allows exactly that script');
  });

  test('web_message: a state that tries to leave the script arrives intact and the page keeps one script', async () => {
    const state = `</script><script>alert(1)</script><!-- & \u2028"' end`;
    const page = await alice.get(webMessageUrl({ state }).url);
    const message = assertWebMessagePage(page);
    assert.equal(message.response.state, state);
    assert.equal(page.text.match(/<script/g)?.length, 1, page.text);
    assert.doesNotMatch(page.text, /<!--/);
  });

  test('web_message: implicit types carry their tokens the same way', async () => {
    const message = assertWebMessagePage(await alice.get(webMessageUrl({ response_type: 'id_token token' }).url));
    assert.deepEqual(Object.keys(message.response).sort(), [
      'access_token',
      'expires_in',
      'id_token',
      'iss',
      'scope',
      'state',
      'token_type',
    ]);
    const { payload } = await jwtVerify(message.response.id_token, jwks, { issuer: server.issuer, audience: SPA });
    assert.equal(payload.at_hash, halfHash(message.response.access_token));
    assert.equal(payload.nonce, 'wm-nonce');
  });

  test('web_message with prompt=none and no session: login_required travels the same way, with state', async () => {
    const stranger = new CookieJarClient(server);
    const message = assertWebMessagePage(await stranger.get(webMessageUrl().url));
    assert.equal(message.type, 'authorization_response');
    assert.deepEqual(Object.keys(message.response).sort(), ['error', 'error_description', 'iss', 'state']);
    assert.equal(message.response.error, 'login_required');
    assert.equal(message.response.state, 'wm-state');
    assert.equal(message.response.iss, server.issuer);
  });

  test('web_message for a redirect_uri whose origin is not a web origin: an error page, nothing posted', async () => {
    for (const browser of [alice, new CookieJarClient(server)]) {
      const page = await browser.get(webMessageUrl({ redirect_uri: NOT_A_WEB_ORIGIN }).url);
      assert.equal(page.status, 400);
      assert.doesNotMatch(page.text, /postMessage|authorization_response/);
      assert.match(page.headers.get('content-security-policy') ?? '', /frame-ancestors 'none'/);
    }
  });
});
