// Token introspection (RFC 7662) with openid-client's tokenIntrospection: a confidential client learns
// whether Gatehouse's access and refresh tokens are active and what they carry; revoked, expired, spent,
// foreign and unparseable tokens are {active: false}; a public client is refused. Discovery lists both the
// revocation and the introspection endpoints.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, test } from 'node:test';
import { decodeJwt, decodeProtectedHeader, generateKeyPair, SignJWT } from 'jose';
import * as client from 'openid-client';
import { forEachDatabase } from '../helpers/each-database.js';
import { basicAuth, CookieJarClient, postForm, postToken } from '../helpers/http-client.js';
import { type RunningGatehouse, startGatehouse } from '../helpers/server.js';
import { users } from '../helpers/fixtures.js';
import {
  CLIENT_SECRET,
  clientCredentials,
  OFFLINE_API,
  refreshWith,
  signInAlice,
  type TokenClient,
  tokensTenant,
  userTokens,
} from '../helpers/user-tokens.js';

const INACTIVE = { active: false };
const words = (scope: unknown) => String(scope).split(' ').sort();

forEachDatabase('token introspection', (db) => {
  let server: RunningGatehouse;
  let alice: CookieJarClient;
  /** The server's clock runs `offset` ms ahead of the real one. */
  let offset = 0;
  let introspector: client.Configuration;

  before(async () => {
    server = await startGatehouse({ databaseUrl: db().url, tenant: tokensTenant(), now: () => Date.now() + offset });
    alice = new CookieJarClient(server);
    await signInAlice(alice);
    introspector = await discover('static', client.ClientSecretPost(CLIENT_SECRET));
  });
  after(() => server.close());

  function discover(clientId: TokenClient, auth: client.ClientAuth) {
    return client.discovery(new URL(server.issuer), clientId, undefined, auth, {
      execute: [client.allowInsecureRequests],
    });
  }

  const introspect = async (token: string, config = introspector, hint?: string) => {
    const answer = await client.tokenIntrospection(config, token, hint ? { token_type_hint: hint } : undefined);
    return { ...answer };
  };

  /** POST /oauth/introspect with a form body. */
  const post = (params: Record<string, string>, headers: Record<string, string> = {}) =>
    postForm(server, '/oauth/introspect', params, headers);

  test('discovery lists the revocation and introspection endpoints and how clients authenticate there', async () => {
    const metadata = introspector.serverMetadata();
    assert.equal(metadata.revocation_endpoint, `${server.issuer}oauth/revoke`);
    assert.equal(metadata.introspection_endpoint, `${server.issuer}oauth/introspect`);
    assert.deepEqual(metadata.revocation_endpoint_auth_methods_supported, [
      'client_secret_basic',
      'client_secret_post',
      'private_key_jwt',
      'none',
    ]);
    assert.deepEqual(metadata.introspection_endpoint_auth_methods_supported, [
      'client_secret_basic',
      'client_secret_post',
      'private_key_jwt',
    ]);
  });

  test('a live access token: active, with the claims it carries', async () => {
    const tokens = await userTokens(server, alice, 'static');
    const claims = decodeJwt(tokens.access_token);
    assert.deepEqual(await introspect(tokens.access_token), {
      active: true,
      scope: claims.scope,
      client_id: 'static',
      sub: users.alice.user_id,
      exp: claims.exp,
      iat: claims.iat,
      aud: [OFFLINE_API, `${server.issuer}userinfo`],
      iss: server.issuer,
      token_type: 'Bearer',
    });
  });

  test("another client's access token is active for any confidential client (an API checking what it was sent)", async () => {
    const tokens = await userTokens(server, alice, 'rotating');
    const basic = await discover('basic', client.ClientSecretBasic(CLIENT_SECRET));
    const answer = await introspect(tokens.access_token, basic);
    assert.equal(answer.active, true);
    assert.equal(answer.client_id, 'rotating');
  });

  test('an access token revoked by the replay of its code: inactive', async () => {
    const tokens = await userTokens(server, alice, 'static');
    assert.equal((await introspect(tokens.access_token)).active, true);
    assert.equal((await postToken(server, tokens.redemption)).status, 403, 'the replay is refused');
    assert.deepEqual(await introspect(tokens.access_token), INACTIVE);
  });

  test('an expired access token (the server clock past exp): inactive', async () => {
    const tokens = await userTokens(server, alice, 'static');
    const exp = decodeJwt(tokens.access_token).exp!;
    const saved = offset;
    offset = exp * 1000 - Date.now() + 1000;
    try {
      assert.deepEqual(await introspect(tokens.access_token), INACTIVE);
    } finally {
      offset = saved;
    }
    assert.equal((await introspect(tokens.access_token)).active, true, 'the same token, before exp');
  });

  test('a JWT signed by another key, an ID token, and garbage: inactive', async () => {
    const tokens = await userTokens(server, alice, 'static');
    const { privateKey } = await generateKeyPair('RS256');
    const claims = decodeJwt(tokens.access_token);
    const forged = await new SignJWT({ ...claims, jti: randomUUID() })
      .setProtectedHeader({ alg: 'RS256', typ: 'JWT', kid: decodeProtectedHeader(tokens.access_token).kid })
      .sign(privateKey);
    for (const token of [forged, tokens.id_token, 'garbage', 'a.b.c', `${tokens.access_token}x`]) {
      assert.deepEqual(await introspect(token), INACTIVE, token);
    }
  });

  test('a live refresh token: active, with its scope, audience and no exp when it does not expire', async () => {
    const tokens = await userTokens(server, alice, 'static');
    const answer = await introspect(tokens.refresh_token);
    assert.deepEqual(words(answer.scope), words('openid profile offline_access read:items'));
    assert.equal(typeof answer.iat, 'number');
    delete answer.scope;
    delete answer.iat;
    assert.deepEqual(answer, {
      active: true,
      client_id: 'static',
      sub: users.alice.user_id,
      aud: OFFLINE_API,
      iss: server.issuer,
      token_type: 'refresh_token',
    });
    assert.equal(
      (await introspect(tokens.refresh_token, introspector, 'access_token')).active,
      true,
      'the hint is a hint',
    );
  });

  test('an expiring refresh token: exp is its idle limit; past it, inactive', async () => {
    const tokens = await userTokens(server, alice, 'expiring');
    const expiring = await discover('expiring', client.ClientSecretPost(CLIENT_SECRET));
    const answer = await introspect(tokens.refresh_token, expiring);
    assert.equal(answer.active, true);
    assert.equal(answer.exp, (answer.iat as number) + 60);
    const saved = offset;
    offset += 61_000;
    try {
      assert.deepEqual(await introspect(tokens.refresh_token, expiring), INACTIVE);
    } finally {
      offset = saved;
    }
  });

  test('a rotated refresh token is inactive and its successor active; a revoked one is inactive', async () => {
    const rotating = await discover('rotating', client.ClientSecretPost(CLIENT_SECRET));
    const { refresh_token: first } = await userTokens(server, alice, 'rotating');
    const answer = await refreshWith(server, 'rotating', first);
    const second = answer.body.refresh_token as string;
    assert.deepEqual(await introspect(first, rotating), INACTIVE);
    assert.equal((await introspect(second, rotating)).active, true);

    await client.tokenRevocation(rotating, second);
    assert.deepEqual(await introspect(second, rotating), INACTIVE);
  });

  test("another client's refresh token is inactive for the caller, and keeps working", async () => {
    const { refresh_token } = await userTokens(server, alice, 'rotating');
    assert.deepEqual(await introspect(refresh_token), INACTIVE);
    assert.equal((await refreshWith(server, 'rotating', refresh_token)).status, 200);
  });

  const refusals: {
    name: string;
    params: Record<string, string>;
    headers?: Record<string, string>;
    status: number;
    body: Record<string, string>;
  }[] = [
    {
      name: 'a public client',
      params: { client_id: 'public', token: 'x' },
      status: 401,
      body: { error: 'invalid_client', error_description: 'Public clients may not introspect tokens' },
    },
    {
      name: 'a wrong client_secret',
      params: { client_id: 'static', client_secret: 'wrong', token: 'x' },
      status: 401,
      body: { error: 'invalid_client', error_description: 'Client authentication failed' },
    },
    {
      name: 'a wrong secret in Basic',
      params: { token: 'x' },
      headers: { authorization: basicAuth('basic', 'wrong') },
      status: 401,
      body: { error: 'invalid_client', error_description: 'Client authentication failed' },
    },
    {
      name: 'no token',
      params: clientCredentials('static'),
      status: 400,
      body: { error: 'invalid_request', error_description: 'Missing required parameter: token' },
    },
  ];
  for (const row of refusals) {
    test(`refused: ${row.name}`, async () => {
      const answer = await post(row.params, row.headers);
      assert.deepEqual({ status: answer.status, body: answer.body }, { status: row.status, body: row.body });
      assert.equal(answer.headers.get('cache-control'), 'no-store');
    });
  }

  test('a public client cannot introspect even its own live token', async () => {
    const { refresh_token } = await userTokens(server, alice, 'public');
    const answer = await post({ client_id: 'public', token: refresh_token });
    assert.equal(answer.status, 401);
  });
});
