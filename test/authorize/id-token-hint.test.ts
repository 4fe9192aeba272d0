// id_token_hint at /authorize (OIDC Core §3.1.2.1): the hint must be an ID token this server issued to the
// client (our signature, our issuer; expired is fine). A hint naming another user than the session's never
// signs in silently: prompt=none answers login_required, otherwise the login page is shown. A hint that does
// not verify is invalid_request at the redirect URI, with the state. Alice and Bob get their ID tokens the
// real way: signing in over HTTP and redeeming the code.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { decodeJwt, decodeProtectedHeader, generateKeyPair, SignJWT, UnsecuredJWT } from 'jose';
import { forEachDatabase } from '../helpers/each-database.js';
import { type RunningGatehouse, startGatehouse } from '../helpers/server.js';
import {
  authorizeUrl,
  basicAuth,
  CookieJarClient,
  openLogin,
  postToken,
  signIn,
  silentCode,
  submitLogin,
} from '../helpers/http-client.js';
import { CALLBACK, OTHER_CALLBACK, OTHER_SECRET, signInTenant, users, WEB_SECRET } from '../helpers/fixtures.js';

/** The web app's ID tokens live a minute here, so that a hint can be made to expire. */
const ID_TOKEN_SECONDS = 60;
const STATE = 'hint state /+&=';
const webParams = { client_id: 'web', redirect_uri: CALLBACK, response_type: 'code', scope: 'openid', state: STATE };
const otherParams = {
  client_id: 'other-web',
  redirect_uri: OTHER_CALLBACK,
  response_type: 'code',
  scope: 'openid',
  state: STATE,
};

forEachDatabase('id_token_hint at /authorize', (db) => {
  let server: RunningGatehouse;
  /** The server's clock runs `offset` ms ahead of the real one. */
  let offset = 0;
  before(async () => {
    server = await startGatehouse({
      databaseUrl: db().url,
      tenant: signInTenant({ web: { jwt_configuration: { lifetime_in_seconds: ID_TOKEN_SECONDS } } }),
      now: () => Date.now() + offset,
    });
  });
  after(() => server.close());

  /** The ID token of a code from a callback of the web app or the other app. */
  async function idTokenOf(callback: URL, as: 'web' | 'other-web' = 'web'): Promise<string> {
    const code = callback.searchParams.get('code');
    assert.ok(code, `no code in ${callback}`);
    const answer =
      as === 'web'
        ? await postToken(
            server,
            { grant_type: 'authorization_code', code, redirect_uri: CALLBACK },
            { authorization: basicAuth('web', WEB_SECRET) },
          )
        : await postToken(server, {
            grant_type: 'authorization_code',
            code,
            redirect_uri: OTHER_CALLBACK,
            client_id: 'other-web',
            client_secret: OTHER_SECRET,
          });
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    return answer.body.id_token as string;
  }

  /** A browser with the user signed in, and that user's ID token for the web app. */
  async function signedIn(email: string): Promise<{ browser: CookieJarClient; idToken: string }> {
    const browser = new CookieJarClient(server);
    const idToken = await idTokenOf(await signIn(browser, webParams, email));
    return { browser, idToken };
  }

  /** GET /authorize in the browser; the callback it is sent to. */
  async function callbackOf(browser: CookieJarClient, params: Record<string, string>): Promise<URL> {
    const answer = await browser.get(authorizeUrl(server, params));
    assert.equal(answer.status, 302, answer.text);
    const location = new URL(answer.location!, server.issuer);
    assert.equal(
      `${location.origin}${location.pathname}`,
      params.redirect_uri,
      `expected the callback, got ${answer.location}`,
    );
    return location;
  }

  function assertError(callback: URL, error: string, description: string) {
    assert.deepEqual(
      {
        error: callback.searchParams.get('error'),
        error_description: callback.searchParams.get('error_description'),
        state: callback.searchParams.get('state'),
      },
      { error, error_description: description, state: STATE },
    );
    assert.equal(callback.searchParams.get('iss'), server.issuer);
    assert.equal(callback.searchParams.get('code'), null);
  }

  test("prompt=none with Bob's ID token as the hint while Alice is signed in: login_required, no code", async () => {
    const { idToken: bobs } = await signedIn(users.bob.email);
    const { browser: alice } = await signedIn(users.alice.email);
    const callback = await callbackOf(alice, { ...webParams, prompt: 'none', id_token_hint: bobs });
    assertError(callback, 'login_required', 'Login required: the session does not satisfy the request');
  });

  test("without prompt, Bob's hint while Alice is signed in shows the login page; signing in as Bob gives Bob's code", async () => {
    const { idToken: bobs } = await signedIn(users.bob.email);
    const { browser: alice } = await signedIn(users.alice.email);
    const { form } = await openLogin(alice, { ...webParams, id_token_hint: bobs });
    const posted = await submitLogin(alice, form, users.bob.email);
    assert.equal(posted.status, 303, posted.text);
    const back = await alice.follow(posted);
    assert.equal(back.status, 302, back.text);
    assert.equal(decodeJwt(await idTokenOf(new URL(back.location!))).sub, users.bob.user_id);
  });

  test("Alice's own hint, expired, signs her in silently as before", async () => {
    const { browser: alice, idToken } = await signedIn(users.alice.email);
    offset += (ID_TOKEN_SECONDS + 60) * 1000;
    assert.ok(decodeJwt(idToken).exp! * 1000 < Date.now() + offset, 'the hint has expired');
    const callback = await silentCode(alice, { ...webParams, prompt: 'none', id_token_hint: idToken });
    assert.equal(callback.searchParams.get('state'), STATE);
    assert.equal(decodeJwt(await idTokenOf(callback)).sub, users.alice.user_id);
  });

  describe('a hint that does not verify is invalid_request at the redirect URI', () => {
    const notOurs = 'Invalid id_token_hint: not an ID token issued by this server';
    const rows: { name: string; hint(bobs: string): Promise<string>; description: string }[] = [
      {
        name: "an unsigned (alg none) token with Bob's sub",
        hint: async (bobs) => {
          const claims = decodeJwt(bobs);
          return new UnsecuredJWT({ sub: claims.sub, aud: 'web' })
            .setIssuer(server.issuer)
            .setIssuedAt()
            .setExpirationTime('1h')
            .encode();
        },
        description: notOurs,
      },
      {
        name: "Bob's claims signed by a foreign key under our kid",
        hint: async (bobs) => {
          const { privateKey } = await generateKeyPair('RS256');
          return new SignJWT(decodeJwt(bobs))
            .setProtectedHeader({ alg: 'RS256', kid: decodeProtectedHeader(bobs).kid })
            .sign(privateKey);
        },
        description: notOurs,
      },
      {
        name: "Bob's token with its signature cut off",
        hint: async (bobs) => `${bobs.split('.').slice(0, 2).join('.')}.`,
        description: notOurs,
      },
      { name: 'a malformed value', hint: async () => 'not.a.jwt', description: notOurs },
      {
        name: 'an access token of ours (not an ID token for the client)',
        hint: async () => {
          // Signed by our key with our issuer and Bob's sub, but its audience is /userinfo.
          const callback = await signIn(new CookieJarClient(server), webParams, users.bob.email);
          const answer = await postToken(
            server,
            { grant_type: 'authorization_code', code: callback.searchParams.get('code')!, redirect_uri: CALLBACK },
            {
              authorization: basicAuth('web', WEB_SECRET),
            },
          );
          assert.equal(answer.status, 200, JSON.stringify(answer.body));
          return answer.body.access_token as string;
        },
        description: 'Invalid id_token_hint: it was not issued to this application',
      },
      {
        name: "Bob's ID token issued to another application",
        hint: async () =>
          idTokenOf(await signIn(new CookieJarClient(server), otherParams, users.bob.email), 'other-web'),
        description: 'Invalid id_token_hint: it was not issued to this application',
      },
    ];
    for (const row of rows) {
      test(`${row.name}: invalid_request, with and without prompt=none`, async () => {
        const { idToken: bobs } = await signedIn(users.bob.email);
        const { browser: alice } = await signedIn(users.alice.email);
        const hint = await row.hint(bobs);
        assertError(
          await callbackOf(alice, { ...webParams, prompt: 'none', id_token_hint: hint }),
          'invalid_request',
          row.description,
        );
        assertError(await callbackOf(alice, { ...webParams, id_token_hint: hint }), 'invalid_request', row.description);
      });
    }
  });

  test('id_token_hint sent twice is invalid_request', async () => {
    const { browser: alice, idToken } = await signedIn(users.alice.email);
    const answer = await alice.get(
      `${authorizeUrl(server, { ...webParams, id_token_hint: idToken })}&id_token_hint=${idToken}`,
    );
    assert.equal(answer.status, 302, answer.text);
    assertError(new URL(answer.location!), 'invalid_request', 'Parameter sent more than once: id_token_hint');
  });
});
