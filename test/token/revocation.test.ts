// Token revocation (RFC 7009) with the published clients: the auth0 SDK's revokeRefreshToken and
// openid-client's tokenRevocation revoke a refresh token and its whole family, which /oauth/token then
// refuses; unknown, already revoked and other clients' tokens are answered 200 and the last left alone;
// bad credentials are 401, a missing token 400; access tokens stay valid (Auth0 revokes refresh tokens
// only); a browser app revokes its own token cross-origin from one of its web_origins.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { AuthenticationClient } from 'auth0/legacy';
import * as client from 'openid-client';
import { forEachDatabase } from '../helpers/each-database.js';
import { basicAuth, CookieJarClient, getUserinfo, type JsonAnswer } from '../helpers/http-client.js';
import { type RunningGatehouse, startGatehouse } from '../helpers/server.js';
import {
  CLIENT_SECRET,
  clientCredentials,
  refreshWith,
  SPA_ORIGIN,
  signInAlice,
  type TokenClient,
  tokensTenant,
  userTokens,
} from '../helpers/user-tokens.js';

const INVALID_REFRESH = { error: 'invalid_grant', error_description: 'Unknown or invalid refresh token.' };
const AUTH_FAILED = { error: 'invalid_client', error_description: 'Client authentication failed' };

forEachDatabase('token revocation', (db) => {
  let server: RunningGatehouse;
  let alice: CookieJarClient;

  before(async () => {
    server = await startGatehouse({ databaseUrl: db().url, tenant: tokensTenant() });
    alice = new CookieJarClient(server);
    await signInAlice(alice);
  });
  after(() => server.close());

  /** The auth0 SDK talks https to `domain`: its requests are sent to the test server's http URL instead. */
  const auth0Sdk = (clientId: TokenClient) =>
    new AuthenticationClient({
      domain: new URL(server.issuer).host,
      clientId,
      clientSecret: CLIENT_SECRET,
      fetch: (url, init) => fetch(String(url).replace(/^https:/, 'http:'), init),
    });

  const tokensOf = (clientId: TokenClient) =>
    userTokens(
      server,
      alice,
      clientId,
      clientId === 'basic' ? { authorization: basicAuth('basic', CLIENT_SECRET) } : {},
    );

  /** POST /oauth/revoke with a form body; the raw answer (the body is empty on success). */
  async function revoke(params: Record<string, string>, headers: Record<string, string> = {}) {
    const response = await fetch(server.url('/oauth/revoke'), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
      body: new URLSearchParams(params).toString(),
    });
    return { status: response.status, headers: response.headers, text: await response.text() };
  }

  async function refreshed(clientId: TokenClient, refreshToken: string): Promise<JsonAnswer['body']> {
    const answer = await refreshWith(server, clientId, refreshToken);
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    return answer.body;
  }

  async function refused(clientId: TokenClient, refreshToken: string, message?: string) {
    const answer = await refreshWith(server, clientId, refreshToken);
    assert.deepEqual({ status: answer.status, body: answer.body }, { status: 403, body: INVALID_REFRESH }, message);
  }

  test('the auth0 SDK revokes a rotated token: its successors are refused, another family keeps working', async () => {
    const other = (await tokensOf('rotating')).refresh_token;
    const first = (await tokensOf('rotating')).refresh_token;
    const second = (await refreshed('rotating', first)).refresh_token as string;
    const newest = (await refreshed('rotating', second)).refresh_token as string;
    // JSON body, client_id and client_secret in it: what the SDK sends.
    await auth0Sdk('rotating').oauth.revokeRefreshToken({ token: first });
    // The newest token is checked first: refusing a spent one would revoke the family by itself.
    await refused('rotating', newest, 'the newest token of the revoked family');
    await refused('rotating', second);
    await refused('rotating', first);
    assert.ok((await refreshed('rotating', other)).refresh_token, 'another family is untouched');
  });

  test('a revocation racing a refresh of the same family: whatever the refresh issued is refused afterwards', async () => {
    for (let round = 0; round < 4; round++) {
      const { refresh_token } = await tokensOf('rotating');
      const [refresh, revocation] = await Promise.all([
        refreshWith(server, 'rotating', refresh_token),
        revoke({ ...clientCredentials('rotating'), token: refresh_token }),
      ]);
      assert.equal(revocation.status, 200);
      if (refresh.status === 200) await refused('rotating', refresh.body.refresh_token as string, `round ${round}`);
      else assert.deepEqual(refresh.body, INVALID_REFRESH);
    }
  });

  test('the auth0 SDK revokes a non-rotating token', async () => {
    const { refresh_token } = await tokensOf('static');
    assert.ok((await refreshed('static', refresh_token)).access_token);
    await auth0Sdk('static').oauth.revokeRefreshToken({ token: refresh_token });
    await refused('static', refresh_token);
  });

  test('openid-client tokenRevocation (client_secret_basic, from discovery) revokes the refresh token', async () => {
    const config = await client.discovery(
      new URL(server.issuer),
      'basic',
      undefined,
      client.ClientSecretBasic(CLIENT_SECRET),
      {
        execute: [client.allowInsecureRequests],
      },
    );
    const { refresh_token } = await tokensOf('basic');
    await client.tokenRevocation(config, refresh_token, { token_type_hint: 'refresh_token' });
    const answer = await refreshWith(server, 'basic', refresh_token, {
      authorization: basicAuth('basic', CLIENT_SECRET),
    });
    assert.deepEqual({ status: answer.status, body: answer.body }, { status: 403, body: INVALID_REFRESH });
  });

  test('a public client revokes its own token with its client_id', async () => {
    const { refresh_token } = await tokensOf('public');
    const answer = await revoke({ client_id: 'public', token: refresh_token });
    assert.deepEqual({ status: answer.status, text: answer.text }, { status: 200, text: '' });
    assert.equal(answer.headers.get('cache-control'), 'no-store');
    await refused('public', refresh_token);
  });

  test("another client's token: 200, and it keeps working for its own client", async () => {
    const { refresh_token } = await tokensOf('static');
    for (const who of ['rotating', 'public'] as const) {
      const answer = await revoke({ ...clientCredentials(who), token: refresh_token });
      assert.deepEqual({ status: answer.status, text: answer.text }, { status: 200, text: '' }, who);
    }
    assert.ok((await refreshed('static', refresh_token)).access_token);
  });

  test('revoking twice, or an unknown token: 200 each time', async () => {
    const { refresh_token } = await tokensOf('static');
    for (const token of [refresh_token, refresh_token, 'not-a-token-we-issued', 'a.b.c']) {
      const answer = await revoke({ ...clientCredentials('static'), token });
      assert.deepEqual({ status: answer.status, text: answer.text }, { status: 200, text: '' }, token);
    }
    await refused('static', refresh_token);
  });

  test('token_type_hint is only a hint: access_token with a refresh token still revokes it', async () => {
    const { refresh_token } = await tokensOf('static');
    const answer = await revoke({
      ...clientCredentials('static'),
      token: refresh_token,
      token_type_hint: 'access_token',
    });
    assert.equal(answer.status, 200);
    await refused('static', refresh_token);
  });

  test('an access token is not revoked (Auth0 revokes refresh tokens only): 200, and it still works', async () => {
    const tokens = await tokensOf('static');
    const answer = await revoke({
      ...clientCredentials('static'),
      token: tokens.access_token,
      token_type_hint: 'access_token',
    });
    assert.deepEqual({ status: answer.status, text: answer.text }, { status: 200, text: '' });
    assert.equal((await getUserinfo(server, `Bearer ${tokens.access_token}`)).status, 200);
    assert.ok((await refreshed('static', tokens.refresh_token)).access_token, 'nor is its refresh token');
  });

  const refusals: {
    name: string;
    params: Record<string, string>;
    headers?: Record<string, string>;
    status: number;
    body: Record<string, string>;
    challenged?: boolean;
  }[] = [
    {
      name: 'a wrong client_secret',
      params: { client_id: 'static', client_secret: 'wrong', token: 'x' },
      status: 401,
      body: AUTH_FAILED,
    },
    {
      name: 'a wrong secret in Basic (with WWW-Authenticate)',
      params: { token: 'x' },
      headers: { authorization: basicAuth('basic', 'wrong') },
      status: 401,
      body: AUTH_FAILED,
      challenged: true,
    },
    { name: 'an unknown client', params: { client_id: 'nobody', token: 'x' }, status: 401, body: AUTH_FAILED },
    {
      name: 'a confidential client without its secret',
      params: { client_id: 'static', token: 'x' },
      status: 401,
      body: AUTH_FAILED,
    },
    {
      name: 'no token',
      params: clientCredentials('static'),
      status: 400,
      body: { error: 'invalid_request', error_description: 'Missing required parameter: token' },
    },
    {
      name: 'no client',
      params: { token: 'x' },
      status: 400,
      body: { error: 'invalid_request', error_description: 'Missing required parameter: client_id' },
    },
  ];
  for (const row of refusals) {
    test(`refused: ${row.name}`, async () => {
      const answer = await revoke(row.params, row.headers);
      assert.deepEqual(
        { status: answer.status, body: JSON.parse(answer.text) },
        { status: row.status, body: row.body },
      );
      assert.equal(answer.headers.get('cache-control'), 'no-store');
      if (row.challenged) assert.match(String(answer.headers.get('www-authenticate')), /^Basic /);
      else assert.equal(answer.headers.get('www-authenticate'), null);
    });
  }

  test('bad credentials leave the token alone', async () => {
    const { refresh_token } = await tokensOf('static');
    assert.equal((await revoke({ client_id: 'static', client_secret: 'wrong', token: refresh_token })).status, 401);
    assert.ok((await refreshed('static', refresh_token)).access_token);
  });

  test('GET /oauth/revoke is an OAuth error', async () => {
    const response = await fetch(server.url('/oauth/revoke'));
    assert.deepEqual(
      { status: response.status, body: await response.json() },
      {
        status: 400,
        body: { error: 'invalid_request', error_description: 'The revocation endpoint accepts only POST' },
      },
    );
  });

  test('CORS: the preflight and the revocation from the public client’s web origin; none for another origin', async () => {
    const preflight = (origin: string) =>
      fetch(server.url('/oauth/revoke'), {
        method: 'OPTIONS',
        headers: {
          origin,
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'auth0-client,content-type',
        },
      });
    const allowed = await preflight(SPA_ORIGIN);
    assert.equal(allowed.status, 204);
    assert.equal(allowed.headers.get('access-control-allow-origin'), SPA_ORIGIN);
    assert.equal(allowed.headers.get('access-control-allow-methods'), 'POST');
    const stranger = await preflight('https://evil.test');
    assert.equal(stranger.status, 403);
    assert.equal(stranger.headers.get('access-control-allow-origin'), null);

    const { refresh_token } = await tokensOf('public');
    const foreign = await revoke({ client_id: 'public', token: 'unknown' }, { origin: 'https://evil.test' });
    assert.equal(foreign.status, 200);
    assert.equal(foreign.headers.get('access-control-allow-origin'), null, 'no CORS for an unregistered origin');
    const answer = await revoke({ client_id: 'public', token: refresh_token }, { origin: SPA_ORIGIN });
    assert.equal(answer.status, 200);
    assert.equal(answer.headers.get('access-control-allow-origin'), SPA_ORIGIN);
    await refused('public', refresh_token);
  });
});
