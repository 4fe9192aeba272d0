// A client that authenticates with a signed JWT (RFC 7523, private_key_jwt) gets tokens with openid-client,
// oauth4webapi or a hand-built assertion, and every assertion Auth0's "Authenticate with Private Key JWT" rules out is refused.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, test } from 'node:test';
import {
  createRemoteJWKSet,
  exportPKCS8,
  exportSPKI,
  generateKeyPair,
  importPKCS8,
  type JWTPayload,
  jwtVerify,
  SignJWT,
  UnsecuredJWT,
} from 'jose';
import * as oauth from 'oauth4webapi';
import * as client from 'openid-client';
import { forEachDatabase } from '../helpers/each-database.js';
import { type RunningGatehouse, startGatehouse } from '../helpers/server.js';
import { acmeTenant, API, m2mClient } from '../helpers/fixtures.js';

const ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
const AUTH_FAILED = { error: 'invalid_client', error_description: 'Client authentication failed' };

type Alg = 'RS256' | 'RS384' | 'PS256' | 'ES256';
type SigningKey = CryptoKey;

/** One key pair per registered credential; `extractable` so a test can reuse the RSA key under another alg. */
async function keyPair(alg: Alg) {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  return { alg, privateKey, pem: await exportSPKI(publicKey) };
}

const keys = {
  rs256: await keyPair('RS256'),
  rs384: await keyPair('RS384'),
  ps256: await keyPair('PS256'),
  es256: await keyPair('ES256'),
  twoFirst: await keyPair('RS256'),
  twoSecond: await keyPair('RS256'),
  stranger: await keyPair('RS256'),
};

/** Client id → its keys, registered in Auth0's shape. */
const pkjwtClients: Record<string, (typeof keys)[keyof typeof keys][]> = {
  'pkjwt-rs256': [keys.rs256],
  'pkjwt-rs384': [keys.rs384],
  'pkjwt-ps256': [keys.ps256],
  'pkjwt-es256': [keys.es256],
  'pkjwt-two': [keys.twoFirst, keys.twoSecond],
};

function pkjwtTenant() {
  return acmeTenant({
    clients: Object.entries(pkjwtClients).map(([client_id, credentials]) =>
      m2mClient({
        client_id,
        client_secret: undefined,
        name: client_id,
        token_endpoint_auth_method: 'private_key_jwt',
        client_authentication_methods: {
          private_key_jwt: {
            credentials: credentials.map((k, i) => ({
              credential_type: 'public_key',
              name: `key-${i + 1}`,
              pem: k.pem,
              alg: k.alg,
            })),
          },
        },
      }),
    ),
    client_grants: Object.keys(pkjwtClients).map((client_id) => ({ client_id, audience: API, scope: ['read:items'] })),
  });
}

interface Context {
  issuer: string;
  tokenEndpoint: string;
  now: number;
}

/** RFC 7523 §3 claims for `clientId`; an override of `undefined` leaves the claim out. */
function claims(ctx: Context, clientId: string, overrides: Record<string, unknown> = {}): JWTPayload {
  const all: Record<string, unknown> = {
    iss: clientId,
    sub: clientId,
    aud: ctx.issuer,
    iat: ctx.now,
    exp: ctx.now + 60,
    jti: randomUUID(),
    ...overrides,
  };
  return Object.fromEntries(Object.entries(all).filter(([, v]) => v !== undefined));
}

async function sign(payload: JWTPayload, key: SigningKey, alg: string, header: Record<string, unknown> = {}) {
  return new SignJWT(payload).setProtectedHeader({ ...header, alg }).sign(key);
}

/** A good assertion for pkjwt-rs256, with claim overrides. */
const rs256 = (ctx: Context, overrides: Record<string, unknown> = {}) =>
  sign(claims(ctx, 'pkjwt-rs256', overrides), keys.rs256.privateKey, 'RS256');

const withAssertion = (assertion: string, extra: Record<string, string> = {}) => ({
  grant_type: 'client_credentials',
  audience: API,
  client_assertion_type: ASSERTION_TYPE,
  client_assertion: assertion,
  ...extra,
});

interface Answer {
  status: number;
  headers: Headers;
  body: Record<string, unknown>;
}

forEachDatabase('private_key_jwt client authentication', (db) => {
  let server: RunningGatehouse;
  let jwks: ReturnType<typeof createRemoteJWKSet>;
  let as: oauth.AuthorizationServer;
  before(async () => {
    server = await startGatehouse({ databaseUrl: db().url, tenant: pkjwtTenant() });
    jwks = createRemoteJWKSet(new URL(server.url('/.well-known/jwks.json')));
    as = await oauth
      .discoveryRequest(new URL(server.issuer), { [oauth.allowInsecureRequests]: true })
      .then((response) => oauth.processDiscoveryResponse(new URL(server.issuer), response));
  });
  after(() => server.close());

  const ctx = (): Context => ({
    issuer: server.issuer,
    tokenEndpoint: server.url('/oauth/token'),
    now: Math.floor(Date.now() / 1000),
  });

  async function token(
    params: Record<string, string>,
    headers: Record<string, string> = {},
    asJson = false,
  ): Promise<Answer> {
    const response = await fetch(server.url('/oauth/token'), {
      method: 'POST',
      headers: asJson ? { 'content-type': 'application/json', ...headers } : headers,
      body: asJson ? JSON.stringify(params) : new URLSearchParams(params),
    });
    const text = await response.text();
    assert.ok(!/at .*\(/.test(text), text);
    return { status: response.status, headers: response.headers, body: JSON.parse(text) };
  }

  async function assertToken(answer: Answer, clientId: string) {
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    assert.equal(answer.headers.get('cache-control'), 'no-store');
    const { payload } = await jwtVerify(String(answer.body.access_token), jwks, {
      issuer: server.issuer,
      audience: API,
    });
    assert.equal(payload.sub, `${clientId}@clients`);
    assert.equal(payload.client_id, clientId);
    assert.equal(payload.scope, 'read:items');
  }

  function assertRefused(answer: Answer, status: number, body: object, challenged = false) {
    assert.equal(answer.status, status, JSON.stringify(answer.body));
    assert.deepEqual(answer.body, body);
    assert.equal(answer.headers.get('cache-control'), 'no-store');
    if (challenged) assert.match(String(answer.headers.get('www-authenticate')), /^Basic /);
    else assert.equal(answer.headers.get('www-authenticate'), null);
  }

  const byAlg: [string, (typeof keys)[keyof typeof keys]][] = [
    ['pkjwt-rs256', keys.rs256],
    ['pkjwt-rs384', keys.rs384],
    ['pkjwt-ps256', keys.ps256],
    ['pkjwt-es256', keys.es256],
  ];
  for (const [clientId, key] of byAlg) {
    test(`openid-client PrivateKeyJwt with an ${key.alg} key`, async () => {
      const config = await client.discovery(
        new URL(server.issuer),
        clientId,
        undefined,
        client.PrivateKeyJwt(key.privateKey),
        {
          execute: [client.allowInsecureRequests],
        },
      );
      const tokens = await client.clientCredentialsGrant(config, { audience: API });
      assert.equal(tokens.scope, 'read:items');
      const { payload } = await jwtVerify(tokens.access_token, jwks, { issuer: server.issuer, audience: API });
      assert.equal(payload.sub, `${clientId}@clients`);
    });

    test(`oauth4webapi PrivateKeyJwt with an ${key.alg} key`, async () => {
      const response = await oauth.clientCredentialsGrantRequest(
        as,
        { client_id: clientId },
        oauth.PrivateKeyJwt(key.privateKey),
        new URLSearchParams({ audience: API }),
        { [oauth.allowInsecureRequests]: true },
      );
      assert.equal(response.headers.get('cache-control'), 'no-store');
      const tokens = await oauth.processClientCredentialsResponse(as, { client_id: clientId }, response);
      const { payload } = await jwtVerify(tokens.access_token, jwks, { issuer: server.issuer, audience: API });
      assert.equal(payload.client_id, clientId);
    });
  }

  const accepted: {
    name: string;
    clientId: string;
    assertion: (c: Context) => Promise<string>;
    json?: boolean;
    clientIdParam?: boolean;
  }[] = [
    { name: 'jose SignJWT, aud = issuer with its trailing slash', clientId: 'pkjwt-rs256', assertion: (c) => rs256(c) },
    {
      name: 'aud = the token endpoint URL',
      clientId: 'pkjwt-rs256',
      assertion: (c) => rs256(c, { aud: c.tokenEndpoint }),
    },
    {
      name: 'exp exactly 5 minutes after iat',
      clientId: 'pkjwt-rs256',
      assertion: (c) => rs256(c, { exp: c.now + 300 }),
    },
    {
      name: 'no iat, exp within 5 minutes (iat is optional in RFC 7523)',
      clientId: 'pkjwt-rs256',
      assertion: (c) => rs256(c, { iat: undefined }),
    },
    {
      name: 'with a matching client_id parameter',
      clientId: 'pkjwt-rs256',
      assertion: (c) => rs256(c),
      clientIdParam: true,
    },
    { name: 'in a JSON body', clientId: 'pkjwt-rs256', assertion: (c) => rs256(c), json: true },
    {
      name: 'a kid the credential does not name: every credential of that alg is tried',
      clientId: 'pkjwt-rs256',
      assertion: (c) => sign(claims(c, 'pkjwt-rs256'), keys.rs256.privateKey, 'RS256', { kid: 'whatever' }),
    },
    {
      name: 'no kid, signed by the second of two registered keys',
      clientId: 'pkjwt-two',
      assertion: (c) => sign(claims(c, 'pkjwt-two'), keys.twoSecond.privateKey, 'RS256'),
    },
    {
      name: 'no kid, signed by the first of two registered keys',
      clientId: 'pkjwt-two',
      assertion: (c) => sign(claims(c, 'pkjwt-two'), keys.twoFirst.privateKey, 'RS256'),
    },
  ];
  for (const row of accepted) {
    test(`accepted: ${row.name}`, async () => {
      const params = withAssertion(await row.assertion(ctx()), row.clientIdParam ? { client_id: row.clientId } : {});
      await assertToken(await token(params, {}, row.json), row.clientId);
    });
  }

  const refusals: {
    name: string;
    params: (c: Context) => Promise<Record<string, string>>;
    headers?: Record<string, string>;
    status?: number;
    body?: object;
  }[] = [
    { name: 'expired', params: async (c) => withAssertion(await rs256(c, { iat: c.now - 400, exp: c.now - 100 })) },
    {
      name: 'exp more than 5 minutes after iat',
      params: async (c) => withAssertion(await rs256(c, { exp: c.now + 360 })),
    },
    {
      name: 'no iat and exp more than 5 minutes away',
      params: async (c) => withAssertion(await rs256(c, { iat: undefined, exp: c.now + 3600 })),
    },
    {
      name: 'iat an hour ahead, so exp - iat is short but the assertion lives an hour',
      params: async (c) => withAssertion(await rs256(c, { iat: c.now + 3600, exp: c.now + 3660 })),
    },
    {
      name: 'nbf in the future',
      params: async (c) => withAssertion(await rs256(c, { nbf: c.now + 120, exp: c.now + 180 })),
    },
    { name: 'no exp', params: async (c) => withAssertion(await rs256(c, { exp: undefined })) },
    {
      name: 'aud = issuer without its trailing slash',
      params: async (c) => withAssertion(await rs256(c, { aud: c.issuer.replace(/\/$/, '') })),
    },
    {
      name: 'aud = another URL',
      params: async (c) => withAssertion(await rs256(c, { aud: 'https://other.example/' })),
    },
    {
      name: 'aud = token endpoint with a trailing slash',
      params: async (c) => withAssertion(await rs256(c, { aud: `${c.tokenEndpoint}/` })),
    },
    {
      name: 'aud an array with an extra value',
      params: async (c) => withAssertion(await rs256(c, { aud: [c.issuer, 'https://other.example/'] })),
    },
    { name: 'aud an empty array', params: async (c) => withAssertion(await rs256(c, { aud: [] })) },
    { name: 'no aud', params: async (c) => withAssertion(await rs256(c, { aud: undefined })) },
    { name: 'iss not the client', params: async (c) => withAssertion(await rs256(c, { iss: 'pkjwt-two' })) },
    {
      name: 'sub another private_key_jwt client',
      params: async (c) => withAssertion(await rs256(c, { sub: 'pkjwt-two' })),
    },
    {
      name: 'iss = sub = another client, signed with this client’s key',
      params: async (c) => withAssertion(await sign(claims(c, 'pkjwt-two'), keys.rs256.privateKey, 'RS256')),
    },
    {
      name: 'iss = sub = an unknown client',
      params: async (c) => withAssertion(await sign(claims(c, 'nobody'), keys.rs256.privateKey, 'RS256')),
    },
    {
      name: 'iss = sub = a client_secret_post client',
      params: async (c) => withAssertion(await sign(claims(c, 'm2m-post'), keys.rs256.privateKey, 'RS256')),
    },
    { name: 'no sub', params: async (c) => withAssertion(await rs256(c, { sub: undefined })), body: AUTH_FAILED },
    {
      name: 'signed by an unregistered key',
      params: async (c) => withAssertion(await sign(claims(c, 'pkjwt-rs256'), keys.stranger.privateKey, 'RS256')),
    },
    {
      name: 'signature altered',
      params: async (c) => {
        const jwt = await rs256(c);
        const [h, p, s] = jwt.split('.');
        return withAssertion(`${h}.${p}.${s.startsWith('A') ? 'B' : 'A'}${s.slice(1)}`);
      },
    },
    {
      name: 'ES256 assertion when only RS256 is registered',
      params: async (c) => withAssertion(await sign(claims(c, 'pkjwt-rs256'), keys.es256.privateKey, 'ES256')),
    },
    {
      name: 'PS256 made with the registered RSA key when only RS256 is registered',
      params: async (c) => {
        const pss = await importPKCS8(await exportPKCS8(keys.rs256.privateKey), 'PS256');
        return withAssertion(await sign(claims(c, 'pkjwt-rs256'), pss, 'PS256'));
      },
    },
    {
      name: 'HS256 keyed with the registered public key PEM',
      params: async (c) =>
        withAssertion(
          await new SignJWT(claims(c, 'pkjwt-rs256'))
            .setProtectedHeader({ alg: 'HS256' })
            .sign(new TextEncoder().encode(keys.rs256.pem)),
        ),
    },
    { name: 'alg none', params: async (c) => withAssertion(new UnsecuredJWT(claims(c, 'pkjwt-rs256')).encode()) },
    { name: 'no jti', params: async (c) => withAssertion(await rs256(c, { jti: undefined })) },
    { name: 'empty jti', params: async (c) => withAssertion(await rs256(c, { jti: '' })) },
    { name: 'numeric jti', params: async (c) => withAssertion(await rs256(c, { jti: 12345 })) },
    { name: 'jti over 256 characters', params: async (c) => withAssertion(await rs256(c, { jti: 'j'.repeat(257) })) },
    {
      name: 'a client secret from a private_key_jwt client (post)',
      params: async () => ({
        grant_type: 'client_credentials',
        audience: API,
        client_id: 'pkjwt-rs256',
        client_secret: 'x'.repeat(40),
      }),
    },
    {
      name: 'a client secret from a private_key_jwt client (Basic)',
      params: async () => ({ grant_type: 'client_credentials', audience: API }),
      headers: { authorization: `Basic ${Buffer.from(`pkjwt-rs256:${'x'.repeat(40)}`).toString('base64')}` },
    },
    {
      name: 'no authentication at all from a private_key_jwt client',
      params: async () => ({ grant_type: 'client_credentials', audience: API, client_id: 'pkjwt-rs256' }),
    },
    {
      name: 'wrong client_assertion_type',
      params: async (c) => ({
        ...withAssertion(await rs256(c)),
        client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:saml2-bearer',
      }),
      status: 400,
      body: { error: 'invalid_request', error_description: `client_assertion_type must be ${ASSERTION_TYPE}` },
    },
    {
      name: 'client_assertion without client_assertion_type',
      params: async (c) => ({ grant_type: 'client_credentials', audience: API, client_assertion: await rs256(c) }),
      status: 400,
      body: { error: 'invalid_request', error_description: 'Missing required parameter: client_assertion_type' },
    },
    {
      name: 'client_assertion_type without client_assertion',
      params: async () => ({
        grant_type: 'client_credentials',
        audience: API,
        client_id: 'pkjwt-rs256',
        client_assertion_type: ASSERTION_TYPE,
      }),
      status: 400,
      body: { error: 'invalid_request', error_description: 'Missing required parameter: client_assertion' },
    },
    {
      name: 'client_assertion that is not a JWT',
      params: async () => withAssertion('not-a-jwt'),
      status: 400,
      body: { error: 'invalid_request', error_description: 'client_assertion is not a valid JWT' },
    },
    {
      name: 'client_id parameter naming another client than the assertion',
      params: async (c) => withAssertion(await rs256(c), { client_id: 'pkjwt-two' }),
      status: 400,
      body: { error: 'invalid_request', error_description: 'client_id does not match the client assertion' },
    },
  ];
  for (const row of refusals) {
    const status = row.status ?? 401;
    test(`refused: ${row.name} (${status})`, async () => {
      const answer = await token(await row.params(ctx()), row.headers);
      assertRefused(
        answer,
        status,
        row.body ?? AUTH_FAILED,
        row.headers?.authorization !== undefined && status === 401,
      );
    });
  }

  test('refused: a replayed assertion (same jti twice)', async () => {
    const assertion = await rs256(ctx());
    await assertToken(await token(withAssertion(assertion)), 'pkjwt-rs256');
    assertRefused(await token(withAssertion(assertion)), 401, AUTH_FAILED);
    // The jti is spent, not the assertion's text: a fresh signature over the same jti is refused too.
    const { jti } = JSON.parse(Buffer.from(assertion.split('.')[1], 'base64url').toString());
    assertRefused(await token(withAssertion(await rs256(ctx(), { jti }))), 401, AUTH_FAILED);
  });

  test('the jti is remembered per client: another client may use the same value', async () => {
    const jti = randomUUID();
    await assertToken(await token(withAssertion(await rs256(ctx(), { jti }))), 'pkjwt-rs256');
    const other = await sign(claims(ctx(), 'pkjwt-two', { jti }), keys.twoFirst.privateKey, 'RS256');
    await assertToken(await token(withAssertion(other)), 'pkjwt-two');
  });

  test('refused: a replay that races the first use (exactly one of two wins)', async () => {
    for (let round = 0; round < 5; round++) {
      const assertion = await rs256(ctx());
      const answers = await Promise.all([token(withAssertion(assertion)), token(withAssertion(assertion))]);
      const won = answers.filter((a) => a.status === 200);
      const lost = answers.filter((a) => a.status !== 200);
      assert.equal(won.length, 1, JSON.stringify(answers.map((a) => [a.status, a.body])));
      await assertToken(won[0], 'pkjwt-rs256');
      assertRefused(lost[0], 401, AUTH_FAILED);
    }
  });
});
