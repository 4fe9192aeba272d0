// The Resource Owner Password flow (RFC 6749 §4.3; Auth0 docs: "Resource Owner Password Flow", "Call Your API
// Using Resource Owner Password Flow") over HTTP on both databases, with the clients people use: the auth0 SDK's
// AuthenticationClient (passwordGrant with and without realm, then refreshTokenGrant with the refresh token it
// got; the SDK checks the ID tokens itself) and openid-client's genericGrantRequest. `password` alone uses the
// tenant's default directory, or the client's one database connection; then Auth0's answers for every refusal,
// wrong password and unknown user alike (and about as fast: the medians are printed, not asserted).
import assert from 'node:assert/strict';
import { Agent } from 'node:http';
import { after, before, test } from 'node:test';
import { AuthenticationClient } from 'auth0/legacy';
import { createRemoteJWKSet, decodeJwt, jwtVerify } from 'jose';
import * as oidc from 'openid-client';
import type { Dispatcher } from 'undici-types';
import { forEachDatabase } from '../helpers/each-database.js';
import { freePort, type RunningGatehouse, startGatehouse } from '../helpers/server.js';
import { basicAuth, postToken } from '../helpers/http-client.js';
import {
  alice,
  API,
  acmeApi,
  DB,
  dbConnection,
  PASSWORD,
  scopes,
  tenant,
  user,
  WEB_SECRET,
  webClient,
} from '../helpers/fixtures.js';

const PASSWORD_REALM = 'http://auth0.com/oauth/grant-type/password-realm';
const SECRET = 'backend-secret-0123456789-abcdefghijklmnopqrstu';
const OFFLINE_API = 'https://offline.acme.test';
const WRONG = { error: 'invalid_grant', error_description: 'Wrong email or password.' };

/** A confidential backend that signs users in with both password grants (and may refresh). */
const backend = (overrides: Record<string, unknown> = {}) =>
  webClient({
    client_id: 'backend',
    client_secret: SECRET,
    name: 'Acme Backend',
    token_endpoint_auth_method: 'client_secret_post',
    grant_types: ['password', PASSWORD_REALM, 'refresh_token'],
    callbacks: [],
    ...overrides,
  });

const offlineApi = { identifier: OFFLINE_API, allow_offline_access: true, scopes: scopes('read:items', 'write:items') };

/**
 * Auth0's SDK speaks only https to its `domain`; this server listens on plain HTTP on loopback behind an https
 * issuer, so the SDK's requests are delivered as a TLS-terminating proxy would deliver them: over plain TCP
 * (fetch for /oauth/token, an agent for the JWKS its ID token check downloads).
 */
function auth0Sdk(port: number, clientId: string, clientSecret: string): AuthenticationClient {
  const plainTcp = new Agent();
  (plainTcp as unknown as { protocol: string }).protocol = 'https:';
  return new AuthenticationClient({
    domain: `127.0.0.1:${port}`,
    clientId,
    clientSecret,
    fetch: (url, init) =>
      fetch(String(url).replace(/^https:/, 'http:'), { ...init, dispatcher: undefined } as RequestInit),
    agent: plainTcp as unknown as Dispatcher,
  });
}

forEachDatabase('the password grants with the auth0 SDK', (db) => {
  let server: RunningGatehouse;
  let port: number;
  let sdk: AuthenticationClient;
  let jwks: ReturnType<typeof createRemoteJWKSet>;

  before(async () => {
    port = await freePort();
    server = await startGatehouse({
      databaseUrl: db().url,
      port,
      env: { GATEHOUSE_ISSUER: `https://127.0.0.1:${port}/` },
      // tenant() names the database connection as the tenant's default directory.
      tenant: tenant({
        resource_servers: [acmeApi(), offlineApi],
        clients: [backend()],
        users: [alice({ user_id: 'alice' })],
      }),
    });
    sdk = auth0Sdk(port, 'backend', SECRET);
    jwks = createRemoteJWKSet(new URL(`http://127.0.0.1:${port}/.well-known/jwks.json`));
  });
  after(() => server?.close());

  let refreshToken: string;

  test('passwordGrant without realm (the default directory): access, ID and refresh tokens for the API', async () => {
    const { data } = await sdk.oauth.passwordGrant({
      username: 'alice@acme.test',
      password: PASSWORD,
      audience: OFFLINE_API,
      scope: 'openid email offline_access read:items',
    });
    // The SDK has verified the ID token already (signature by our JWKS, iss, aud, exp).
    assert.equal(decodeJwt(data.id_token!).email, 'alice@acme.test');
    assert.equal(data.token_type, 'Bearer');
    assert.equal((data as { scope?: string }).scope, 'openid email read:items offline_access');
    const { payload } = await jwtVerify(data.access_token, jwks, { issuer: server.issuer, audience: OFFLINE_API });
    assert.equal(payload.sub, 'auth0|alice');
    assert.equal(payload.gty, 'password');
    assert.deepEqual(payload.aud, [OFFLINE_API, `${server.issuer}userinfo`]);
    assert.ok(data.refresh_token, 'offline_access on an API that allows it gives a refresh token');
    refreshToken = data.refresh_token;
  });

  test('refreshTokenGrant with the refresh token passwordGrant gave: new tokens for the same user', async () => {
    const { data } = await sdk.oauth.refreshTokenGrant({ refresh_token: refreshToken });
    assert.equal(decodeJwt(data.id_token!).sub, 'auth0|alice');
    const { payload } = await jwtVerify(data.access_token, jwks, { issuer: server.issuer, audience: OFFLINE_API });
    assert.equal(payload.sub, 'auth0|alice');
    assert.equal(payload.gty, 'refresh_token');
  });

  test('passwordGrant with realm and no scope: every scope of the API, no ID token, no refresh token', async () => {
    const { data } = await sdk.oauth.passwordGrant({
      username: 'Alice@Acme.test',
      password: PASSWORD,
      realm: DB,
      audience: API,
    });
    assert.equal((data as { scope?: string }).scope, 'read:items write:items delete:items');
    assert.equal(data.id_token, undefined);
    assert.equal(data.refresh_token, undefined);
    const { payload } = await jwtVerify(data.access_token, jwks, { issuer: server.issuer, audience: API });
    assert.equal(payload.sub, 'auth0|alice');
  });

  test('a wrong password is the SDK error with Auth0 status and words', async () => {
    await assert.rejects(
      sdk.oauth.passwordGrant({ username: 'alice@acme.test', password: 'not-her-password', realm: DB }),
      (error: { statusCode: number; error: string; error_description: string }) => {
        assert.deepEqual(
          { statusCode: error.statusCode, error: error.error, error_description: error.error_description },
          { statusCode: 403, ...WRONG },
        );
        return true;
      },
    );
  });
});

forEachDatabase('the password grants: discovery, openid-client and refusals', (db) => {
  let server: RunningGatehouse;

  before(async () => {
    const clients = [
      backend({ is_token_endpoint_ip_header_trusted: true }),
      // Two database connections and no default directory: `password` alone cannot choose.
      backend({ client_id: 'two-dbs', client_secret: SECRET, name: 'Two databases' }),
      // No connection enabled at all.
      backend({ client_id: 'lonely', client_secret: SECRET, name: 'Lonely' }),
      webClient(),
    ];
    server = await startGatehouse({
      databaseUrl: db().url,
      tenant: tenant({
        // No default directory: `password` alone takes the client's one database connection.
        tenant: { default_directory: undefined },
        clients,
        connections: [
          dbConnection(clients.filter((c) => c.client_id !== 'lonely')),
          { name: 'Partners', strategy: 'auth0', enabled_clients: ['two-dbs'] },
        ],
        users: [
          alice({ user_id: 'alice' }),
          user('blocked', { user_id: 'blocked', blocked: true }),
          user('timing', { user_id: 'timing' }),
        ],
      }),
    });
  });
  after(() => server?.close());

  const asBackend = (params: Record<string, string>, client = 'backend') =>
    postToken(server, { client_id: client, client_secret: SECRET, ...params });

  test('discovery lists both password grants; the token endpoint reads their parameters', async () => {
    const document = (await (await fetch(server.url('/.well-known/openid-configuration'))).json()) as Record<
      string,
      string[]
    >;
    assert.ok(document.grant_types_supported.includes('password'), document.grant_types_supported.join(' '));
    assert.ok(document.grant_types_supported.includes(PASSWORD_REALM), document.grant_types_supported.join(' '));
  });

  test("openid-client genericGrantRequest('password'): the client's one database connection, an ID token it checks", async () => {
    const config = await oidc.discovery(new URL(server.issuer), 'backend', SECRET, oidc.ClientSecretPost(SECRET), {
      execute: [oidc.allowInsecureRequests],
    });
    const answer = await oidc.genericGrantRequest(config, 'password', {
      username: 'alice@acme.test',
      password: PASSWORD,
      scope: 'openid profile',
    });
    assert.equal(answer.claims()?.sub, 'auth0|alice');
    assert.equal(answer.claims()?.name, 'Alice');
    assert.equal(answer.scope, 'openid profile');
  });

  const cases: {
    name: string;
    params: Record<string, string>;
    client?: string;
    headers?: Record<string, string>;
    status: number;
    body: Record<string, string>;
  }[] = [
    {
      name: 'wrong password',
      params: { grant_type: 'password', username: 'alice@acme.test', password: 'wrong-password' },
      status: 403,
      body: WRONG,
    },
    {
      name: 'unknown user: the same answer',
      params: { grant_type: 'password', username: 'nobody@acme.test', password: 'wrong-password' },
      status: 403,
      body: WRONG,
    },
    {
      name: 'unknown user, right realm: the same answer',
      params: { grant_type: PASSWORD_REALM, realm: DB, username: 'nobody@acme.test', password: PASSWORD },
      status: 403,
      body: WRONG,
    },
    {
      name: 'a blocked user with the right password',
      params: { grant_type: PASSWORD_REALM, realm: DB, username: 'blocked@acme.test', password: PASSWORD },
      status: 401,
      body: { error: 'unauthorized', error_description: 'user is blocked' },
    },
    {
      name: 'a connection not enabled for the client',
      params: { grant_type: PASSWORD_REALM, realm: 'Partners', username: 'alice@acme.test', password: PASSWORD },
      status: 400,
      body: { error: 'invalid_request', error_description: 'the connection is not enabled' },
    },
    {
      name: 'a connection that does not exist: the same answer',
      params: { grant_type: PASSWORD_REALM, realm: 'Nowhere', username: 'alice@acme.test', password: PASSWORD },
      status: 400,
      body: { error: 'invalid_request', error_description: 'the connection is not enabled' },
    },
    {
      name: 'a client without the grant',
      params: { grant_type: 'password', username: 'alice@acme.test', password: PASSWORD },
      client: 'web',
      headers: { authorization: basicAuth('web', WEB_SECRET) },
      status: 403,
      body: { error: 'unauthorized_client', error_description: "Grant type 'password' not allowed for the client." },
    },
    {
      name: 'missing username',
      params: { grant_type: 'password', password: PASSWORD },
      status: 400,
      body: { error: 'invalid_request', error_description: 'Missing required parameter: username' },
    },
    {
      name: 'missing password',
      params: { grant_type: PASSWORD_REALM, realm: DB, username: 'alice@acme.test' },
      status: 400,
      body: { error: 'invalid_request', error_description: 'Missing required parameter: password' },
    },
    {
      name: 'password-realm without realm',
      params: { grant_type: PASSWORD_REALM, username: 'alice@acme.test', password: PASSWORD },
      status: 400,
      body: { error: 'invalid_request', error_description: 'Missing required parameter: realm' },
    },
    {
      name: 'no default directory and two database connections',
      params: { grant_type: 'password', username: 'alice@acme.test', password: PASSWORD },
      client: 'two-dbs',
      status: 400,
      body: {
        error: 'invalid_request',
        error_description: 'Authorization server not configured with default connection.',
      },
    },
    {
      name: 'no default directory and no database connection',
      params: { grant_type: 'password', username: 'alice@acme.test', password: PASSWORD },
      client: 'lonely',
      status: 400,
      body: {
        error: 'invalid_request',
        error_description: 'Authorization server not configured with default connection.',
      },
    },
    {
      name: 'an unknown audience',
      params: {
        grant_type: 'password',
        username: 'alice@acme.test',
        password: PASSWORD,
        audience: 'https://no.acme.test',
      },
      status: 403,
      body: { error: 'access_denied', error_description: 'Service not found: https://no.acme.test' },
    },
    {
      name: 'a trusted client whose auth0-forwarded-for is not an IP address',
      params: { grant_type: 'password', username: 'alice@acme.test', password: PASSWORD },
      headers: { 'auth0-forwarded-for': '203.0.113.7, 198.51.100.1' },
      status: 400,
      body: { error: 'invalid_request', error_description: 'The auth0-forwarded-for header must be one IP address' },
    },
  ];

  for (const c of cases) {
    test(`refused: ${c.name} → ${c.status} ${c.body.error}`, async () => {
      const client = c.client ?? 'backend';
      const answer = c.headers?.authorization
        ? await postToken(server, { client_id: client, ...c.params }, c.headers)
        : await postToken(server, { client_id: client, client_secret: SECRET, ...c.params }, c.headers);
      assert.deepEqual({ status: answer.status, body: answer.body }, { status: c.status, body: c.body });
      assert.equal(answer.headers.get('cache-control'), 'no-store');
    });
  }

  test('a wrong password and an unknown e-mail take about the same time (medians printed, not asserted)', async (t) => {
    const times = { 'wrong password': [] as number[], 'unknown user': [] as number[] };
    // Interleaved, so that whatever else the machine does weighs on both alike.
    for (let i = 0; i < 7; i++) {
      for (const [kind, username] of [
        ['wrong password', 'timing@acme.test'],
        ['unknown user', 'no-account@acme.test'],
      ] as const) {
        const started = process.hrtime.bigint();
        const answer = await asBackend({ grant_type: 'password', username, password: `wrong-${i}` });
        times[kind].push(Number(process.hrtime.bigint() - started) / 1e6);
        assert.deepEqual(answer.body, WRONG);
      }
    }
    const median = (list: number[]) => list.sort((a, b) => a - b)[Math.floor(list.length / 2)].toFixed(1);
    t.diagnostic(
      `median of 7: wrong password ${median(times['wrong password'])} ms, unknown user ${median(times['unknown user'])} ms`,
    );
  });
});
