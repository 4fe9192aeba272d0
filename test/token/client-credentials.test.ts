// A machine-to-machine client gets an access token with the published clients (openid-client,
// oauth4webapi), verifies it against the live JWKS, and a third-party API accepts it.
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import express from 'express';
import { auth, requiredScopes } from 'express-oauth2-jwt-bearer';
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import * as oauth from 'oauth4webapi';
import * as client from 'openid-client';
import { forEachDatabase } from '../helpers/each-database.js';
import { type RunningGatehouse, startGatehouse } from '../helpers/server.js';
import { acmeTenant, API, SECRET_BASIC, SECRET_POST } from '../helpers/fixtures.js';

forEachDatabase('client credentials', (db) => {
  let server: RunningGatehouse;
  let jwks: ReturnType<typeof createRemoteJWKSet>;
  before(async () => {
    server = await startGatehouse({ databaseUrl: db().url, tenant: acmeTenant() });
    jwks = createRemoteJWKSet(new URL(server.url('/.well-known/jwks.json')));
  });
  after(() => server.close());

  async function discover(clientId: string, auth: client.ClientAuth) {
    return client.discovery(new URL(server.issuer), clientId, undefined, auth, {
      execute: [client.allowInsecureRequests],
    });
  }

  test('openid-client with client_secret_basic gets an Auth0-profile JWT for the API', async () => {
    const config = await discover('m2m-basic', client.ClientSecretBasic(SECRET_BASIC));
    const tokens = await client.clientCredentialsGrant(config, { audience: API });
    assert.equal(tokens.token_type, 'bearer');
    assert.equal(tokens.expires_in, 86400);
    assert.equal(tokens.scope, 'read:items write:items delete:items');
    assert.equal(tokens.id_token, undefined);
    assert.equal(tokens.refresh_token, undefined);

    const { payload, protectedHeader } = await jwtVerify(tokens.access_token, jwks, {
      issuer: server.issuer,
      audience: API,
    });
    assert.equal(protectedHeader.alg, 'RS256');
    assert.equal(protectedHeader.typ, 'JWT');
    assert.ok(protectedHeader.kid);
    assert.equal(payload.sub, 'm2m-basic@clients');
    assert.equal(payload.azp, 'm2m-basic');
    assert.equal(payload.client_id, 'm2m-basic');
    assert.equal(payload.gty, 'client-credentials');
    assert.equal(payload.scope, 'read:items write:items delete:items');
    assert.equal(payload.exp! - payload.iat!, 86400);
    assert.equal(typeof payload.jti, 'string');
    assert.equal(payload.permissions, undefined);
  });

  test('oauth4webapi with client_secret_post and a narrowed scope', async () => {
    const as = await oauth
      .discoveryRequest(new URL(server.issuer), { [oauth.allowInsecureRequests]: true })
      .then((response) => oauth.processDiscoveryResponse(new URL(server.issuer), response));
    const response = await oauth.clientCredentialsGrantRequest(
      as,
      { client_id: 'm2m-post' },
      oauth.ClientSecretPost(SECRET_POST),
      new URLSearchParams({ audience: API, scope: 'read:items' }),
      { [oauth.allowInsecureRequests]: true },
    );
    assert.equal(response.headers.get('cache-control'), 'no-store');
    const tokens = await oauth.processClientCredentialsResponse(as, { client_id: 'm2m-post' }, response);
    assert.equal(tokens.scope, 'read:items');
    const { payload } = await jwtVerify(tokens.access_token, jwks, { issuer: server.issuer, audience: API });
    assert.equal(payload.scope, 'read:items');
  });

  test('a JSON body works like a form body (auth0 SDKs send JSON)', async () => {
    const response = await fetch(server.url('/oauth/token'), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        grant_type: 'client_credentials',
        client_id: 'm2m-post',
        client_secret: SECRET_POST,
        audience: API,
      }),
    });
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('cache-control'), 'no-store');
    const body = await response.json();
    assert.deepEqual(Object.keys(body).sort(), ['access_token', 'expires_in', 'scope', 'token_type']);
    assert.equal(body.token_type, 'Bearer');
    assert.equal(body.scope, 'read:items');
  });

  const dialects = [
    { audience: 'https://authz.acme.test', typ: 'JWT', azp: true, gty: true, permissions: ['read:items'] },
    { audience: 'https://rfc9068.acme.test', typ: 'at+jwt', azp: false, gty: false, permissions: undefined },
    { audience: 'https://rfc9068-authz.acme.test', typ: 'at+jwt', azp: false, gty: false, permissions: ['read:items'] },
  ];
  for (const dialect of dialects) {
    test(`token_dialect of ${dialect.audience} shapes the token`, async () => {
      const config = await discover('m2m-basic', client.ClientSecretBasic(SECRET_BASIC));
      const tokens = await client.clientCredentialsGrant(config, { audience: dialect.audience });
      const { payload, protectedHeader } = await jwtVerify(tokens.access_token, jwks, {
        issuer: server.issuer,
        audience: dialect.audience,
        typ: dialect.typ,
      });
      assert.equal(protectedHeader.typ, dialect.typ);
      assert.equal('azp' in payload, dialect.azp);
      assert.equal('gty' in payload, dialect.gty);
      assert.equal(payload.client_id, 'm2m-basic');
      assert.equal(typeof payload.jti, 'string');
      assert.deepEqual(payload.permissions, dialect.permissions);
    });
  }

  for (const [audience, alg] of [
    ['https://ps256.acme.test', 'PS256'],
    ['https://es256.acme.test', 'ES256'],
    ['https://eddsa.acme.test', 'EdDSA'],
  ]) {
    test(`an API with signing_alg ${alg} gets ${alg} tokens that verify against the JWKS`, async () => {
      const config = await discover('m2m-basic', client.ClientSecretBasic(SECRET_BASIC));
      const tokens = await client.clientCredentialsGrant(config, { audience });
      assert.equal(decodeProtectedHeader(tokens.access_token).alg, alg);
      const { payload } = await jwtVerify(tokens.access_token, jwks, {
        issuer: server.issuer,
        audience,
        algorithms: [alg],
      });
      assert.equal(payload.sub, 'm2m-basic@clients');
    });
  }

  test('the API token_lifetime sets exp and expires_in; a grant without scopes still answers scope', async () => {
    const config = await discover('m2m-basic', client.ClientSecretBasic(SECRET_BASIC));
    const response = await fetch(server.url('/oauth/token'), {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from(`m2m-basic:${encodeURIComponent(SECRET_BASIC)}`).toString('base64')}`,
      },
      body: new URLSearchParams({ grant_type: 'client_credentials', audience: 'https://short.acme.test' }),
    });
    const body = await response.json();
    assert.equal(response.status, 200, JSON.stringify(body));
    assert.equal(body.expires_in, 60);
    assert.equal(body.scope, '');
    const { payload } = await jwtVerify(body.access_token, jwks, {
      issuer: server.issuer,
      audience: 'https://short.acme.test',
    });
    assert.equal(payload.exp! - payload.iat!, 60);
    assert.equal(payload.scope, undefined);
    assert.ok(config);
  });

  test('a third-party Express API behind express-oauth2-jwt-bearer accepts the token', async () => {
    const api = express();
    api.use(auth({ issuerBaseURL: server.issuer, audience: API }));
    api.get('/items', requiredScopes('read:items'), (_req, res) => res.json({ items: ['a'] }));
    api.get('/admin', requiredScopes('admin'), (_req, res) => res.json({ ok: true }));
    api.use((error: { status?: number }, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
      res.status(error.status ?? 500).json({ error: 'rejected' });
    });
    const listener = api.listen(0, '127.0.0.1');
    await new Promise((resolve) => listener.once('listening', resolve));
    const base = `http://127.0.0.1:${(listener.address() as AddressInfo).port}`;
    try {
      const config = await discover('m2m-basic', client.ClientSecretBasic(SECRET_BASIC));
      const { access_token } = await client.clientCredentialsGrant(config, { audience: API, scope: 'read:items' });
      const ok = await fetch(`${base}/items`, { headers: { authorization: `Bearer ${access_token}` } });
      assert.equal(ok.status, 200);
      assert.deepEqual(await ok.json(), { items: ['a'] });
      const forbidden = await fetch(`${base}/admin`, { headers: { authorization: `Bearer ${access_token}` } });
      assert.equal(forbidden.status, 403);
      const tampered = await fetch(`${base}/items`, {
        headers: { authorization: `Bearer ${access_token.slice(0, -4)}AAAA` },
      });
      assert.equal(tampered.status, 401);
    } finally {
      await new Promise((resolve) => listener.close(resolve));
    }
  });
});
