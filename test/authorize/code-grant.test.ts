// A web app signs a person in with code + PKCE and redeems the code at /oauth/token: openid-client end to
// end, then tables of redemptions that must fail (RFC 6749 §4.1.3, RFC 7636 §4.6), a race, RBAC on the
// access token (Auth0 docs: "Enable Role-Based Access Control for APIs"), /userinfo (OIDC Core §5.3) and bcrypt imports.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { generateKeyPair, SignJWT, createRemoteJWKSet, jwtVerify, decodeJwt } from 'jose';
import { after, before, test } from 'node:test';
import * as oidc from 'openid-client';
import { forEachDatabase } from '../helpers/each-database.js';
import { type RunningGatehouse, startGatehouse } from '../helpers/server.js';
import {
  basicAuth,
  CookieJarClient,
  getUserinfo,
  type JsonAnswer,
  openLogin,
  pkcePair,
  postToken,
  signIn,
  silentCode,
  submitLogin,
  alertText,
} from '../helpers/http-client.js';
import {
  API,
  CALLBACK,
  DB,
  OPEN_API,
  OTHER_SECRET,
  PASSWORD,
  signInTenant,
  SPA_CALLBACK,
  users,
  WEB_SECRET,
  aliceClaims,
} from '../helpers/fixtures.js';

type ClientName = 'web' | 'other-web' | 'spa';

const invalidCode = { error: 'invalid_grant', error_description: 'Invalid authorization code' };

interface Issued {
  code: string;
  verifier?: string;
  redirectUri: string;
}

interface RedeemRow {
  name: string;
  /** How the code is issued: by which client, with PKCE or not. */
  issue: { client: ClientName; pkce: boolean };
  /** What happens between issuing and redeeming (another redemption, time passing). */
  between?: (issued: Issued) => Promise<void>;
  /** The token request: which client authenticates, and the parameters. */
  redeem: (issued: Issued) => { as: ClientName; params: Record<string, string> | [string, string][] };
  status: number;
  body: Record<string, string>;
  afterwards?: (issued: Issued) => Promise<void>;
}

forEachDatabase('sign-in with the authorization code grant', (db) => {
  let server: RunningGatehouse;
  let jwks: ReturnType<typeof createRemoteJWKSet>;
  /** The server's clock runs `offset` ms ahead of the real one. */
  let offset = 0;
  /** Alice, signed in once: every later code comes from her SSO session. */
  let alice: CookieJarClient;

  before(async () => {
    server = await startGatehouse({ databaseUrl: db().url, tenant: signInTenant(), now: () => Date.now() + offset });
    jwks = createRemoteJWKSet(new URL(server.url('/.well-known/jwks.json')));
    alice = new CookieJarClient(server);
    await signIn(
      alice,
      { client_id: 'web', redirect_uri: CALLBACK, response_type: 'code', scope: 'openid' },
      users.alice.email,
    );
  });
  after(() => server.close());

  /** What /userinfo answers for Alice with openid profile email, updated_at as the store has it. */
  async function aliceUserinfo() {
    const user = (await server.gatehouse.store.users.get(users.alice.user_id))!;
    return aliceClaims(user.updated_at);
  }

  const code = (callback: URL) => {
    assert.equal(callback.searchParams.get('iss'), server.issuer);
    const value = callback.searchParams.get('code');
    assert.ok(value, `no code in ${callback}`);
    return value;
  };

  /** A code for Alice through her session. */
  async function issue(client: ClientName, pkce: boolean, extra: Record<string, string> = {}): Promise<Issued> {
    const redirectUri = client === 'spa' ? SPA_CALLBACK : CALLBACK;
    const pair = pkce ? pkcePair() : undefined;
    const callback = await silentCode(alice, {
      client_id: client,
      redirect_uri: redirectUri,
      response_type: 'code',
      scope: 'openid profile',
      ...(pair ? { code_challenge: pair.challenge, code_challenge_method: 'S256' } : {}),
      ...extra,
    });
    return { code: code(callback), verifier: pair?.verifier, redirectUri };
  }

  function redeem(as: ClientName, params: Record<string, string> | [string, string][]): Promise<JsonAnswer> {
    const pairs: [string, string][] = [
      ['grant_type', 'authorization_code'],
      ...(Array.isArray(params) ? params : Object.entries(params)),
    ];
    if (as === 'web')
      return postToken(server, Object.fromEntries(pairs), {
        authorization: basicAuth('web', WEB_SECRET),
      }) as Promise<JsonAnswer>;
    if (as === 'other-web')
      return postToken(
        server,
        Object.fromEntries([...pairs, ['client_id', 'other-web'], ['client_secret', OTHER_SECRET]]),
      );
    return postToken(server, Object.fromEntries([...pairs, ['client_id', 'spa']]));
  }

  /** redeem() with a repeated parameter kept as such. */
  async function redeemPairs(pairs: [string, string][]): Promise<JsonAnswer> {
    const response = await fetch(server.url('/oauth/token'), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basicAuth('web', WEB_SECRET) },
      body: new URLSearchParams([['grant_type', 'authorization_code'], ...pairs]).toString(),
    });
    return {
      status: response.status,
      headers: response.headers,
      body: (await response.json()) as Record<string, unknown>,
    };
  }

  const full = (issued: Issued) => ({
    code: issued.code,
    redirect_uri: issued.redirectUri,
    ...(issued.verifier ? { code_verifier: issued.verifier } : {}),
  });
  let firstAccessToken: string | undefined;

  test('discovery advertises the sign-in endpoints, S256 only and the iss response parameter', async () => {
    const response = await fetch(server.url('/.well-known/openid-configuration'));
    assert.equal(response.status, 200);
    const document = (await response.json()) as Record<string, unknown>;
    assert.equal(document.issuer, server.issuer);
    assert.equal(document.authorization_endpoint, `${server.issuer}authorize`);
    assert.equal(document.token_endpoint, `${server.issuer}oauth/token`);
    assert.equal(document.userinfo_endpoint, `${server.issuer}userinfo`);
    assert.equal(document.end_session_endpoint, `${server.issuer}oidc/logout`);
    assert.equal(document.authorization_response_iss_parameter_supported, true);
    assert.deepEqual(document.code_challenge_methods_supported, ['S256']);
    assert.ok((document.response_types_supported as string[]).includes('code'));
    assert.ok((document.grant_types_supported as string[]).includes('authorization_code'));
  });

  test('openid-client: code + PKCE, ID token with nonce and the iss response parameter checked, then /userinfo', async () => {
    const config = await oidc.discovery(new URL(server.issuer), 'web', WEB_SECRET, oidc.ClientSecretBasic(WEB_SECRET), {
      execute: [oidc.allowInsecureRequests],
    });
    const verifier = oidc.randomPKCECodeVerifier();
    const nonce = oidc.randomNonce();
    const state = oidc.randomState();
    const url = oidc.buildAuthorizationUrl(config, {
      redirect_uri: CALLBACK,
      scope: 'openid profile email',
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      nonce,
      state,
    });
    const browser = new CookieJarClient(server);
    const startedAt = Math.floor(Date.now() / 1000);
    const callback = await signIn(browser, url, users.alice.email);
    assert.equal(callback.searchParams.get('state'), state);
    // openid-client checks state, iss (RFC 9207: discovery advertises it, so it is required), the PKCE
    // verifier, and the ID token's iss, aud, exp, iat and nonce.
    const tokens = await oidc.authorizationCodeGrant(config, callback, {
      pkceCodeVerifier: verifier,
      expectedNonce: nonce,
      expectedState: state,
      idTokenExpected: true,
    });
    assert.equal(tokens.token_type.toLowerCase(), 'bearer');
    const claims = tokens.claims()!;
    assert.equal(claims.iss, server.issuer);
    assert.equal(claims.aud, 'web');
    assert.equal(claims.sub, users.alice.user_id);
    assert.equal(claims.nonce, nonce);
    assert.equal(typeof claims.sid, 'string');
    assert.ok(typeof claims.auth_time === 'number' && claims.auth_time >= startedAt - 1, String(claims.auth_time));
    assert.equal(claims.name, 'Alice Liddell');
    assert.equal(claims.email, users.alice.email);
    // The signature, against our JWKS (openid-client trusts the TLS channel for it).
    const { protectedHeader } = await jwtVerify(tokens.id_token!, jwks, { issuer: server.issuer, audience: 'web' });
    assert.equal(protectedHeader.alg, 'RS256');
    const info = await oidc.fetchUserInfo(config, tokens.access_token, claims.sub);
    assert.deepEqual(info, await aliceUserinfo());
  });

  test('a public client (token_endpoint_auth_method none) with openid-client', async () => {
    const config = await oidc.discovery(new URL(server.issuer), 'spa', undefined, oidc.None(), {
      execute: [oidc.allowInsecureRequests],
    });
    const verifier = oidc.randomPKCECodeVerifier();
    const state = oidc.randomState();
    const url = oidc.buildAuthorizationUrl(config, {
      redirect_uri: SPA_CALLBACK,
      scope: 'openid',
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state,
    });
    const tokens = await oidc.authorizationCodeGrant(config, await silentCode(alice, url), {
      pkceCodeVerifier: verifier,
      expectedState: state,
    });
    assert.equal(tokens.claims()!.sub, users.alice.user_id);
    assert.equal(tokens.claims()!.aud, 'spa');
  });

  test('a code delivered by form_post is redeemed like any other', async () => {
    const pair = pkcePair();
    const answer = await alice.get(
      `${server.url('/authorize')}?${new URLSearchParams({
        client_id: 'web',
        redirect_uri: CALLBACK,
        response_type: 'code',
        scope: 'openid',
        state: 's1',
        response_mode: 'form_post',
        code_challenge: pair.challenge,
        code_challenge_method: 'S256',
      })}`,
    );
    assert.equal(answer.status, 200);
    const fields = Object.fromEntries(
      [...answer.text.matchAll(/name="([^"]+)" value="([^"]*)"/g)].map((m) => [m[1], m[2]]),
    );
    assert.deepEqual(Object.keys(fields).sort(), ['code', 'iss', 'state']);
    assert.equal(fields.state, 's1');
    const redeemed = await redeem('web', { code: fields.code, redirect_uri: CALLBACK, code_verifier: pair.verifier });
    assert.equal(redeemed.status, 200, JSON.stringify(redeemed.body));
  });

  const rows: RedeemRow[] = [
    {
      name: 'wrong code_verifier',
      issue: { client: 'web', pkce: true },
      redeem: (c) => ({ as: 'web', params: { ...full(c), code_verifier: pkcePair().verifier } }),
      status: 403,
      body: { error: 'invalid_grant', error_description: 'Failed to verify code_verifier' },
    },
    {
      name: 'code_verifier too short to be one (RFC 7636 §4.1: 43 to 128 characters)',
      issue: { client: 'web', pkce: true },
      redeem: (c) => ({ as: 'web', params: { ...full(c), code_verifier: 'short' } }),
      status: 403,
      body: { error: 'invalid_grant', error_description: 'Invalid code_verifier' },
    },
    {
      name: 'the code_challenge sent as the verifier',
      issue: { client: 'spa', pkce: true },
      redeem: (c) => ({ as: 'spa', params: { ...full(c), code_verifier: challengeOf(c.verifier!) } }),
      status: 403,
      body: { error: 'invalid_grant', error_description: 'Failed to verify code_verifier' },
    },
    {
      name: 'missing code_verifier (confidential client that sent a challenge)',
      issue: { client: 'web', pkce: true },
      redeem: (c) => ({ as: 'web', params: { code: c.code, redirect_uri: c.redirectUri } }),
      status: 403,
      body: { error: 'invalid_grant', error_description: 'Missing code_verifier' },
    },
    {
      name: 'missing code_verifier (public client)',
      issue: { client: 'spa', pkce: true },
      redeem: (c) => ({ as: 'spa', params: { code: c.code, redirect_uri: c.redirectUri } }),
      status: 403,
      body: { error: 'invalid_grant', error_description: 'Missing code_verifier' },
    },
    {
      name: 'code_verifier sent for a code issued without code_challenge (RFC 9700 §4.8.2)',
      issue: { client: 'web', pkce: false },
      redeem: (c) => ({ as: 'web', params: { ...full(c), code_verifier: pkcePair().verifier } }),
      status: 403,
      body: {
        error: 'invalid_grant',
        error_description: 'code_verifier sent for a code issued without code_challenge',
      },
    },
    {
      name: 'the right verifier after a wrong one: the first attempt spent the code',
      issue: { client: 'web', pkce: true },
      between: async (c) =>
        assert.equal((await redeem('web', { ...full(c), code_verifier: pkcePair().verifier })).status, 403),
      redeem: (c) => ({ as: 'web', params: full(c) }),
      status: 403,
      body: invalidCode,
    },
    {
      name: 'replayed code; the access token of the first redemption is revoked',
      issue: { client: 'web', pkce: true },
      between: async (c) => {
        const first = await redeem('web', full(c));
        assert.equal(first.status, 200, JSON.stringify(first.body));
        firstAccessToken = first.body.access_token as string;
        assert.equal((await getUserinfo(server, `Bearer ${firstAccessToken}`)).status, 200);
      },
      redeem: (c) => ({ as: 'web', params: full(c) }),
      status: 403,
      body: invalidCode,
      // RFC 6749 §4.1.2: tokens issued from a code used twice are revoked.
      afterwards: async () => {
        const refused = await getUserinfo(server, `Bearer ${firstAccessToken}`);
        assert.equal(refused.status, 401, refused.text);
        assert.deepEqual(refused.body, { error: 'invalid_token', error_description: 'The access token was revoked' });
        assert.match(refused.headers.get('www-authenticate') ?? '', /^Bearer error="invalid_token"/);
      },
    },
    {
      name: 'code of another client (confidential)',
      issue: { client: 'web', pkce: false },
      redeem: (c) => ({ as: 'other-web', params: full(c) }),
      status: 403,
      body: invalidCode,
    },
    {
      name: 'code of a confidential client redeemed by a public one',
      issue: { client: 'web', pkce: true },
      redeem: (c) => ({ as: 'spa', params: full(c) }),
      status: 403,
      body: invalidCode,
    },
    {
      name: 'code issued for another redirect_uri (also registered)',
      issue: { client: 'web', pkce: false },
      redeem: (c) => ({ as: 'web', params: { ...full(c), redirect_uri: 'https://app.acme.test/cb?tenant=acme' } }),
      status: 403,
      body: { error: 'invalid_grant', error_description: 'redirect_uri does not match the authorization request' },
    },
    {
      name: 'redirect_uri with a trailing slash added',
      issue: { client: 'web', pkce: false },
      redeem: (c) => ({ as: 'web', params: { ...full(c), redirect_uri: `${CALLBACK}/` } }),
      status: 403,
      body: { error: 'invalid_grant', error_description: 'redirect_uri does not match the authorization request' },
    },
    {
      name: 'missing redirect_uri',
      issue: { client: 'web', pkce: true },
      redeem: (c) => ({ as: 'web', params: { code: c.code, code_verifier: c.verifier! } }),
      status: 400,
      body: { error: 'invalid_request', error_description: 'Missing required parameter: redirect_uri' },
    },
    {
      name: 'expired code (60 s lifetime)',
      issue: { client: 'web', pkce: true },
      between: async () => {
        offset += 61_000;
      },
      redeem: (c) => ({ as: 'web', params: full(c) }),
      status: 403,
      body: invalidCode,
    },
    {
      name: 'unknown code',
      issue: { client: 'web', pkce: false },
      redeem: (c) => ({ as: 'web', params: { ...full(c), code: `${c.code}x` } }),
      status: 403,
      body: invalidCode,
    },
    {
      name: 'missing code',
      issue: { client: 'web', pkce: false },
      redeem: (c) => ({ as: 'web', params: { redirect_uri: c.redirectUri } }),
      status: 400,
      body: { error: 'invalid_request', error_description: 'Missing required parameter: code' },
    },
    {
      name: 'code sent twice',
      issue: { client: 'web', pkce: false },
      redeem: (c) => ({
        as: 'web',
        params: [
          ['code', c.code],
          ['code', c.code],
          ['redirect_uri', c.redirectUri],
        ],
      }),
      status: 400,
      body: { error: 'invalid_request', error_description: 'Parameter sent more than once: code' },
    },
  ];

  for (const row of rows) {
    test(`token endpoint: ${row.name}: ${row.status} ${row.body.error}`, async () => {
      const issued = await issue(row.issue.client, row.issue.pkce);
      try {
        await row.between?.(issued);
        const { as, params } = row.redeem(issued);
        const answer = Array.isArray(params) ? await redeemPairs(params) : await redeem(as, params);
        assert.equal(answer.status, row.status, JSON.stringify(answer.body));
        assert.deepEqual(answer.body, row.body);
        assert.equal(answer.headers.get('cache-control'), 'no-store');
        await row.afterwards?.(issued);
      } finally {
        offset = 0;
      }
    });
  }

  test('token endpoint: a wrong client secret is refused before the code is looked at', async () => {
    const issued = await issue('other-web', false);
    const answer = await postToken(server, {
      grant_type: 'authorization_code',
      ...full(issued),
      client_id: 'other-web',
      client_secret: `${OTHER_SECRET}x`,
    });
    assert.equal(answer.status, 401);
    assert.deepEqual(answer.body, { error: 'invalid_client', error_description: 'Client authentication failed' });
    // The code was not spent by the failed attempt.
    assert.equal((await redeem('other-web', full(issued))).status, 200);
  });

  test('token endpoint: a code redeemed 59 s after it was issued still works', async () => {
    const issued = await issue('web', true);
    offset += 59_000;
    try {
      const answer = await redeem('web', full(issued));
      assert.equal(answer.status, 200, JSON.stringify(answer.body));
      // The same answer a fresh code gets: Alice's tokens, the ID token verifiable and the access token good at
      // /userinfo.
      assert.equal(answer.headers.get('cache-control'), 'no-store');
      assert.deepEqual(Object.keys(answer.body).sort(), [
        'access_token',
        'expires_in',
        'id_token',
        'scope',
        'token_type',
      ]);
      assert.equal(answer.body.token_type, 'Bearer');
      assert.equal(answer.body.scope, 'openid profile');
      const { payload } = await jwtVerify(answer.body.id_token as string, jwks, {
        issuer: server.issuer,
        audience: 'web',
        currentDate: new Date(Date.now() + offset),
      });
      assert.equal(payload.sub, users.alice.user_id);
      const userinfo = await getUserinfo(server, `Bearer ${answer.body.access_token}`);
      assert.equal(userinfo.status, 200, userinfo.text);
      assert.equal(userinfo.body.sub, users.alice.user_id);
    } finally {
      offset = 0;
    }
  });

  test('token endpoint: a confidential client may omit PKCE', async () => {
    const answer = await redeem('web', full(await issue('web', false)));
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    assert.deepEqual(Object.keys(answer.body).sort(), [
      'access_token',
      'expires_in',
      'id_token',
      'scope',
      'token_type',
    ]);
    assert.equal(answer.body.token_type, 'Bearer');
    assert.equal(answer.body.scope, 'openid profile');
  });

  test('two redemptions racing: exactly one wins, and the winner’s token is revoked by the replay', async () => {
    for (let round = 0; round < 5; round++) {
      const issued = await issue('web', true);
      const answers = await Promise.all([redeem('web', full(issued)), redeem('web', full(issued))]);
      const statuses = answers.map((a) => a.status).sort();
      assert.deepEqual(statuses, [200, 403], JSON.stringify(answers.map((a) => a.body)));
      const loser = answers.find((a) => a.status === 403)!;
      assert.deepEqual(loser.body, invalidCode);
      const winner = answers.find((a) => a.status === 200)!;
      assert.equal((await getUserinfo(server, `Bearer ${winner.body.access_token as string}`)).status, 401);
    }
  });

  // RBAC (Auth0 docs: "Enable Role-Based Access Control for APIs"): with enforce_policies, scopes the user does not
  // hold are dropped, not refused.
  const accessToken = async (answer: JsonAnswer) => {
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    const { payload, protectedHeader } = await jwtVerify(answer.body.access_token as string, jwks, {
      issuer: server.issuer,
    });
    return { payload, protectedHeader };
  };

  test('RBAC: an API with enforce_policies keeps only the scopes the user holds; permissions are listed', async () => {
    const issued = await issue('web', true, {
      audience: API,
      scope: 'openid profile read:items write:items delete:items',
    });
    const answer = await redeem('web', full(issued));
    const { payload, protectedHeader } = await accessToken(answer);
    assert.equal(answer.body.scope, 'openid profile read:items');
    assert.equal(protectedHeader.typ, 'JWT');
    assert.equal(payload.scope, 'openid profile read:items');
    assert.deepEqual(payload.permissions, ['read:items']);
    assert.deepEqual(payload.aud, [API, `${server.issuer}userinfo`]);
    assert.equal(payload.sub, users.alice.user_id);
    assert.equal(payload.azp, 'web');
    assert.equal(payload.client_id, 'web');
    assert.equal(typeof payload.jti, 'string');
    assert.equal(payload.gty, undefined);
    // With openid granted the same token is good for /userinfo.
    assert.deepEqual(
      (await getUserinfo(server, `Bearer ${answer.body.access_token as string}`)).body.sub,
      users.alice.user_id,
    );
  });

  test('RBAC: a user without roles gets no API scope and an empty permissions list', async () => {
    const bob = new CookieJarClient(server);
    const pair = pkcePair();
    const callback = await signIn(
      bob,
      {
        client_id: 'web',
        redirect_uri: CALLBACK,
        response_type: 'code',
        scope: 'openid read:items write:items',
        audience: API,
        code_challenge: pair.challenge,
        code_challenge_method: 'S256',
      },
      users.bob.email,
    );
    const answer = await redeem('web', { code: code(callback), redirect_uri: CALLBACK, code_verifier: pair.verifier });
    const { payload } = await accessToken(answer);
    assert.equal(answer.body.scope, 'openid');
    assert.equal(payload.scope, 'openid');
    assert.deepEqual(payload.permissions, []);
    assert.equal(payload.sub, users.bob.user_id);
  });

  test('an API without enforce_policies grants every requested scope it defines; no openid: aud is the API alone', async () => {
    const issued = await issue('web', true, { audience: OPEN_API, scope: 'read:items write:items unknown:scope' });
    const answer = await redeem('web', full(issued));
    const { payload } = await accessToken(answer);
    assert.equal(answer.body.scope, 'read:items write:items');
    assert.equal(answer.body.id_token, undefined);
    assert.equal(payload.aud, OPEN_API);
    assert.equal(payload.permissions, undefined);
    // Not an audience of /userinfo.
    const refused = await getUserinfo(server, `Bearer ${answer.body.access_token as string}`);
    assert.equal(refused.status, 401);
  });

  test('without an audience the access token is for /userinfo only', async () => {
    const answer = await redeem('web', full(await issue('web', true, { scope: 'openid' })));
    const { payload } = await accessToken(answer);
    assert.equal(payload.aud, `${server.issuer}userinfo`);
    assert.equal(payload.scope, 'openid');
    const info = await getUserinfo(server, `Bearer ${answer.body.access_token as string}`);
    assert.equal(info.status, 200, info.text);
    // OIDC Core §5.4: scope openid alone releases only sub.
    assert.deepEqual(info.body, { sub: users.alice.user_id });
    assert.equal(info.headers.get('cache-control'), 'no-store');
  });

  test('/userinfo releases the claims the scopes allow (GET and POST), updated_at as an ISO string', async () => {
    const alicePassword = await redeem('web', full(await issue('web', true, { scope: 'openid profile email' })));
    const expected = await aliceUserinfo();
    for (const method of ['GET', 'POST']) {
      const info = await getUserinfo(server, `Bearer ${alicePassword.body.access_token as string}`, method);
      assert.equal(info.status, 200, info.text);
      assert.deepEqual(info.body, expected);
      assert.match(String(info.body.updated_at), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    }
    const emailOnly = await redeem('web', full(await issue('web', true, { scope: 'openid email' })));
    assert.deepEqual((await getUserinfo(server, `Bearer ${emailOnly.body.access_token as string}`)).body, {
      sub: users.alice.user_id,
      email: users.alice.email,
      email_verified: true,
    });
    const profileOnly = await redeem('web', full(await issue('web', true, { scope: 'openid profile' })));
    const { email: _email, email_verified: _verified, ...profile } = expected;
    assert.deepEqual((await getUserinfo(server, `Bearer ${profileOnly.body.access_token as string}`)).body, profile);
  });

  const badTokens: {
    name: string;
    authorization: () => Promise<string | undefined>;
    description: string;
    challenge: RegExp;
  }[] = [
    {
      name: 'not a JWT',
      authorization: async () => 'Bearer abc.def.ghi',
      description: 'The access token is invalid or expired',
      challenge: /^Bearer error="invalid_token"/,
    },
    {
      name: 'signed by a key that is not ours',
      authorization: async () => {
        const { privateKey } = await generateKeyPair('RS256');
        const { kid } = (await server.gatehouse.keyring.publicKeys()).keys[0] as { kid: string };
        const token = await new SignJWT({ scope: 'openid' })
          .setProtectedHeader({ alg: 'RS256', kid, typ: 'JWT' })
          .setIssuer(server.issuer)
          .setSubject(users.alice.user_id)
          .setAudience(`${server.issuer}userinfo`)
          .setIssuedAt()
          .setExpirationTime('1h')
          .sign(privateKey);
        return `Bearer ${token}`;
      },
      description: 'The access token is invalid or expired',
      challenge: /^Bearer error="invalid_token"/,
    },
    {
      name: 'unsigned (alg none)',
      authorization: async () => {
        const body = Buffer.from(
          JSON.stringify({
            iss: server.issuer,
            sub: users.alice.user_id,
            aud: `${server.issuer}userinfo`,
            exp: 2e9,
            scope: 'openid',
          }),
        ).toString('base64url');
        return `Bearer ${Buffer.from('{"alg":"none"}').toString('base64url')}.${body}.`;
      },
      description: 'The access token is invalid or expired',
      challenge: /^Bearer error="invalid_token"/,
    },
    {
      name: 'an ID token instead of an access token',
      authorization: async () =>
        `Bearer ${(await redeem('web', full(await issue('web', true)))).body.id_token as string}`,
      description: 'The access token is invalid or expired',
      challenge: /^Bearer error="invalid_token"/,
    },
    {
      name: 'an access token for an API only',
      authorization: async () =>
        `Bearer ${(await redeem('web', full(await issue('web', true, { audience: OPEN_API, scope: 'read:items' })))).body.access_token as string}`,
      description: 'The access token is invalid or expired',
      challenge: /^Bearer error="invalid_token"/,
    },
    {
      name: 'an expired access token',
      authorization: async () => {
        const token = (await redeem('web', full(await issue('web', true, { scope: 'openid' })))).body
          .access_token as string;
        offset += ((decodeJwt(token).exp as number) - Math.floor(Date.now() / 1000) + 1) * 1000;
        return `Bearer ${token}`;
      },
      description: 'The access token is invalid or expired',
      challenge: /^Bearer error="invalid_token"/,
    },
    // RFC 6750 §3.1: without credentials the challenge carries no error code.
    {
      name: 'no Authorization header',
      authorization: async () => undefined,
      description: 'Missing or malformed bearer token',
      challenge: /^Bearer realm="Gatehouse"$/,
    },
    {
      name: 'Basic credentials',
      authorization: async () => basicAuth('web', WEB_SECRET),
      description: 'Missing or malformed bearer token',
      challenge: /^Bearer realm="Gatehouse"$/,
    },
  ];

  for (const row of badTokens) {
    test(`/userinfo refuses ${row.name}: 401 invalid_token`, async () => {
      try {
        const info = await getUserinfo(server, await row.authorization());
        assert.equal(info.status, 401, info.text);
        assert.deepEqual(info.body, { error: 'invalid_token', error_description: row.description });
        assert.match(info.headers.get('www-authenticate') ?? '', row.challenge);
      } finally {
        offset = 0;
      }
    });
  }

  test('a bcrypt password_hash user signs in; the hash becomes argon2id', async () => {
    const stored = async () => (await server.gatehouse.store.users.findByEmail(DB, users.carol.email))!.password_hash!;
    assert.match(await stored(), /^\$2[aby]\$04\$/);
    const browser = new CookieJarClient(server);
    const params = { client_id: 'web', redirect_uri: CALLBACK, response_type: 'code', scope: 'openid email' };
    // A wrong password leaves the imported hash alone.
    const { form } = await openLogin(browser, params);
    const wrong = await submitLogin(browser, form, users.carol.email, `${PASSWORD}!`);
    assert.equal(wrong.status, 400);
    assert.equal(alertText(wrong), 'Wrong email or password');
    assert.match(await stored(), /^\$2[aby]\$/);

    const callback = await signIn(browser, params, users.carol.email);
    assert.match(await stored(), /^\$argon2id\$/);
    const answer = await redeem('web', { code: code(callback), redirect_uri: CALLBACK });
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    assert.equal(decodeJwt(answer.body.id_token as string).sub, users.carol.user_id);

    // The same password works against the new hash.
    const again = new CookieJarClient(server);
    await signIn(again, params, users.carol.email);
    assert.match(await stored(), /^\$argon2id\$/);
  });
});

/** The S256 challenge of a verifier. */
function challengeOf(verifier: string): string {
  return createHash('sha256').update(verifier).digest('base64url');
}
