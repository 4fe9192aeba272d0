// /api/v2/keys/signing through the auth0 SDK's ManagementClient: list and get every algorithm's keys in Auth0's
// shape; rotate, after which the next token of this instance carries the new kid at once (verified with the JWKS)
// and a second instance sharing the database signs with it soon after; revoke the previous key, which leaves both
// instances' JWKS, so a token it signed is refused; and the errors: the current key cannot be revoked (400), an
// unknown kid 404, a token without the scope 403, a bad kid 400. Each key's `cert` is its self-signed X.509
// certificate, the same on every read and instance; a key stored without one (a database from before
// certificates) gets one on its first read, and the JWKS publishes it as x5c/x5t.
import assert from 'node:assert/strict';
import { createPublicKey, type JsonWebKey, X509Certificate } from 'node:crypto';
import { after, before, test } from 'node:test';
import { ManagementClient } from 'auth0';
import SQLite from 'better-sqlite3';
import pg from 'pg';
import { createLocalJWKSet, decodeProtectedHeader, type JSONWebKeySet, jwtVerify } from 'jose';
import { assertAnswersMatchedSchemas } from '../helpers/admin-api.js';
import { waitFor } from '../helpers/cli.js';
import { forEachDatabase } from '../helpers/each-database.js';
import { postToken } from '../helpers/http-client.js';
import { captureLogs } from '../helpers/log-capture.js';
import { scopedToken } from '../helpers/scoped-token.js';
import { freePort, type RunningGatehouse, startGatehouse } from '../helpers/server.js';

const ADMIN_ID = 'gatehouse-admin';
const ADMIN_SECRET = 'admin-secret-0123456789-abcdefghijklmnopqrstuv';
const SECRET = 'limited-secret-0123456789-abcdefghijklmnopqrstu';

interface Key {
  kid: string;
  alg: string;
  cert: string;
  pkcs7: string;
  fingerprint: string;
  thumbprint: string;
  current?: boolean;
  next?: boolean;
  previous?: boolean;
  revoked?: boolean;
  current_since?: string;
  current_until?: string;
  revoked_at?: string;
}

/** Another connection clears the keys' certificates, as a database made before they existed has none. */
async function clearCertificates(url: string) {
  if (url.startsWith('sqlite:')) {
    const file = new SQLite(url.slice('sqlite:'.length));
    file.exec('update signing_keys set certificate = null');
    file.close();
  } else {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    await client.query('update signing_keys set certificate = null');
    await client.end();
  }
}

/** The key's certificate: self-signed for the JWK's public key, named after the issuer's host, valid ~10 years. */
function checkCertificate(key: Key, jwk: JsonWebKey, host: string) {
  assert.match(key.cert, /^-----BEGIN CERTIFICATE-----\r\n([A-Za-z0-9+/=]{1,64}\r\n)+-----END CERTIFICATE-----\r\n$/);
  const cert = new X509Certificate(key.cert);
  const publicKey = createPublicKey({ key: jwk, format: 'jwk' });
  assert.ok(cert.publicKey.equals(publicKey), `${key.alg}: the certificate holds the JWK's key`);
  assert.ok(cert.checkIssued(cert), `${key.alg}: self-issued`);
  assert.ok(cert.verify(publicKey), `${key.alg}: signed by its own key`);
  assert.equal(cert.subject, `CN=${host}`);
  assert.equal(cert.issuer, `CN=${host}`);
  const years = (Date.parse(cert.validTo) - Date.parse(cert.validFrom)) / (365.25 * 24 * 3600 * 1000);
  assert.ok(years > 9.9 && years < 10.1, `${key.alg}: valid for ten years, not ${years}`);
  assert.equal(key.fingerprint, cert.fingerprint);
  assert.equal(key.thumbprint, cert.fingerprint.replaceAll(':', ''));
  assert.match(key.pkcs7, /^-----BEGIN PKCS7-----\r\n[\s\S]+\r\n-----END PKCS7-----\r\n$/);
  const container = Buffer.from(key.pkcs7.replace(/-----[A-Z0-9 ]+-----|\s/g, ''), 'base64');
  assert.ok(container.includes(cert.raw), `${key.alg}: the PKCS#7 holds the certificate`);
  return cert.raw.toString('base64');
}

forEachDatabase('the Management API: signing keys', (db) => {
  let server: RunningGatehouse;
  let other: RunningGatehouse;
  let admin: ManagementClient;

  const audience = () => `${server.issuer}api/v2/`;
  const tokenFrom = async (instance: RunningGatehouse, clientId = ADMIN_ID, secret = ADMIN_SECRET) => {
    const answer = await postToken(instance, {
      grant_type: 'client_credentials',
      client_id: clientId,
      client_secret: secret,
      audience: audience(),
    });
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    return answer.body.access_token as string;
  };
  const jwks = async (instance: RunningGatehouse) =>
    (await fetch(instance.url('/.well-known/jwks.json')).then((r) => r.json())) as JSONWebKeySet;
  const api = (path: string, token: string, init: RequestInit = {}) =>
    fetch(server.url(`/api/v2${path}`), { ...init, headers: { authorization: `Bearer ${token}`, ...init.headers } });
  const management = (token: string) =>
    new ManagementClient({
      domain: new URL(server.issuer).host,
      token,
      fetch: (url, init) => fetch(String(url).replace(/^https:/, 'http:'), init),
    });
  const list = async () => (await admin.keys.signing.list()) as unknown as Key[];

  // The first instance answers the Management API: its answers must match their schemas.
  const logs = captureLogs('warn');
  before(async () => {
    const port = await freePort();
    server = await startGatehouse({
      databaseUrl: db().url,
      port,
      logger: logs.logger,
      env: { GATEHOUSE_ADMIN_CLIENT_ID: ADMIN_ID, GATEHOUSE_ADMIN_CLIENT_SECRET: ADMIN_SECRET },
      tenant: {
        clients: [{ client_id: 'limited', app_type: 'non_interactive', client_secret: SECRET }],
        client_grants: [
          { client_id: 'limited', audience: `http://127.0.0.1:${port}/api/v2/`, scope: ['read:clients'] },
        ],
      },
    });
    // A second instance on the same database and issuer, as a second machine would be.
    other = await startGatehouse({ databaseUrl: db().url, env: { GATEHOUSE_ISSUER: server.issuer } });
    admin = management(await tokenFrom(server));
  });
  after(async () => {
    await other.close();
    await server.close();
    assertAnswersMatchedSchemas(logs.lines);
  });

  test("list and get: each algorithm's current and next key in Auth0's shape", async () => {
    const keys = await list();
    assert.deepEqual(keys.map((k) => `${k.alg} ${k.current ? 'current' : 'next'}`).sort(), [
      'ES256 current',
      'ES256 next',
      'EdDSA current',
      'EdDSA next',
      'PS256 current',
      'PS256 next',
      'RS256 current',
      'RS256 next',
    ]);
    const published = (await jwks(server)).keys;
    for (const key of keys) {
      assert.match(key.thumbprint, /^[0-9A-F]{40}$/);
      assert.equal(key.fingerprint, key.thumbprint.match(/../g)!.join(':'));
      assert.equal(key.current ? typeof key.current_since : undefined, key.current ? 'string' : undefined);
      const jwk = published.find((k) => k.kid === key.kid)!;
      const der = checkCertificate(key, jwk as JsonWebKey, new URL(server.issuer).host);
      // RFC 7517 §4.7, §4.8: the JWKS carries the same certificate and its SHA-1.
      assert.deepEqual(jwk.x5c, [der]);
      assert.equal(jwk.x5t, Buffer.from(key.thumbprint, 'hex').toString('base64url'));
    }
    assert.deepEqual(keys.map((k) => k.kid).sort(), published.map((k) => k.kid).sort());
    const one = keys.find((k) => k.alg === 'RS256' && k.current)!;
    assert.deepEqual(await admin.keys.signing.get(one.kid), one);
  });

  test('a certificate is made once: the same on every read and instance; a key without one gets it on first read', async () => {
    const first = await list();
    assert.deepEqual(await list(), first, 'a second read');
    const otherAdmin = new ManagementClient({
      domain: new URL(server.issuer).host,
      token: await tokenFrom(server),
      fetch: (url, init) =>
        fetch(
          String(url)
            .replace(/^https:/, 'http:')
            .replace(server.url('/'), other.url('/')),
          init,
        ),
    });
    assert.deepEqual(await otherAdmin.keys.signing.list(), first, 'the other instance');

    // Keys stored before certificates existed: the first read (on either instance) makes one each, once.
    await clearCertificates(db().url);
    const [here, there] = await Promise.all([list(), otherAdmin.keys.signing.list() as unknown as Promise<Key[]>]);
    assert.deepEqual(there, here, 'both instances answer the one certificate stored');
    const published = (await jwks(server)).keys;
    for (const key of here) {
      const before = first.find((k) => k.kid === key.kid)!;
      assert.notEqual(key.cert, before.cert, 'a new certificate (new serial)');
      checkCertificate(key, published.find((k) => k.kid === key.kid) as JsonWebKey, new URL(server.issuer).host);
    }
    assert.deepEqual(await list(), here, 'and it stays');
  });

  test('rotate: the next token carries the new kid at once, on the other instance within seconds', async () => {
    const before = await list();
    const oldCurrent = before.find((k) => k.alg === 'RS256' && k.current)!;
    const oldNext = before.find((k) => k.alg === 'RS256' && k.next)!;
    const oldToken = await tokenFrom(server);
    assert.equal(decodeProtectedHeader(oldToken).kid, oldCurrent.kid);

    const rotated = await admin.keys.signing.rotate();
    assert.deepEqual(rotated, { cert: oldNext.cert, kid: oldNext.kid });

    // This instance: no waiting.
    const token = await tokenFrom(server);
    assert.equal(decodeProtectedHeader(token).kid, rotated.kid);
    await jwtVerify(token, createLocalJWKSet(await jwks(server)), { issuer: server.issuer, audience: audience() });
    // Another instance re-reads the key table within a second; five is the bound promised.
    await waitFor(
      'the other instance to sign with the new key',
      async () => {
        return decodeProtectedHeader(await tokenFrom(other)).kid === rotated.kid;
      },
      5000,
    );

    const after = await list();
    const previous = after.find((k) => k.kid === oldCurrent.kid)!;
    assert.equal(previous.previous, true);
    assert.equal(typeof previous.current_until, 'string');
    assert.equal(after.find((k) => k.kid === rotated.kid)?.current, true);
    assert.equal(after.filter((k) => k.alg === 'RS256' && k.next).length, 1, 'a new next key');

    // Revoke the previous key: gone from both instances' JWKS, and a token it signed is refused.
    const revoked = await admin.keys.signing.revoke(oldCurrent.kid);
    assert.deepEqual(revoked, { cert: oldCurrent.cert, kid: oldCurrent.kid });
    assert.ok(!(await jwks(server)).keys.some((k) => k.kid === oldCurrent.kid));
    await waitFor(
      'the other instance to drop the revoked key',
      async () => {
        return !(await jwks(other)).keys.some((k) => k.kid === oldCurrent.kid);
      },
      5000,
    );
    const refused = await api('/keys/signing', oldToken);
    assert.equal(refused.status, 401);
    // The admin's own token was signed by the revoked key too.
    admin = management(token);
    const got = (await admin.keys.signing.get(oldCurrent.kid)) as unknown as Key;
    assert.equal(got.revoked, true);
    assert.equal(typeof got.revoked_at, 'string');
  });

  test('errors: revoking the current key 400, an unknown kid 404, no scope 403, a bad kid 400', async () => {
    const current = (await list()).find((k) => k.alg === 'RS256' && k.current)!;
    await assert.rejects(admin.keys.signing.revoke(current.kid), (error: { statusCode: number; body: object }) => {
      assert.equal(error.statusCode, 400);
      assert.deepEqual(error.body, {
        statusCode: 400,
        error: 'Bad Request',
        message: `Key ${current.kid} is the current key; rotate first, then revoke it`,
        errorCode: 'invalid_body',
      });
      return true;
    });
    assert.equal((await list()).find((k) => k.kid === current.kid)?.current, true, 'still current');

    for (const call of [() => admin.keys.signing.get('nope'), () => admin.keys.signing.revoke('nope')]) {
      await assert.rejects(call(), (error: { statusCode: number; body: object }) => {
        assert.equal(error.statusCode, 404);
        assert.deepEqual(error.body, {
          statusCode: 404,
          error: 'Not Found',
          message: 'The signing key does not exist.',
          errorCode: 'inexistent_signing_key',
        });
        return true;
      });
    }

    const limited = await tokenFrom(server, 'limited', SECRET);
    const routes: [string, string, string][] = [
      ['GET', '/keys/signing', 'any of: read:signing_keys'],
      ['GET', `/keys/signing/${current.kid}`, 'any of: read:signing_keys'],
      ['POST', '/keys/signing/rotate', 'all of: create:signing_keys,update:signing_keys'],
      ['PUT', `/keys/signing/${current.kid}/revoke`, 'any of: update:signing_keys'],
    ];
    for (const [method, path, expected] of routes) {
      const answer = await api(path, limited, { method });
      assert.equal(answer.status, 403, `${method} ${path}`);
      assert.equal(((await answer.json()) as { message: string }).message, `Insufficient scope, expected ${expected}`);
    }
    const adminToken = await tokenFrom(server);
    for (const [method, path] of [
      ['GET', `/keys/signing/${'k'.repeat(129)}`],
      ['PUT', `/keys/signing/${'k'.repeat(129)}/revoke`],
    ]) {
      const answer = await api(path, adminToken, { method });
      assert.equal(answer.status, 400, `${method} ${path}`);
    }
    assert.equal((await list()).filter((k) => k.current).length, 4, 'no rotation by the refused calls');
  });

  test('rotate needs both create:signing_keys and update:signing_keys, as Auth0', async () => {
    const adminToken = await tokenFrom(server);
    const currentKid = async () => (await list()).find((k) => k.alg === 'RS256' && k.current)!.kid;
    const before = await currentKid();
    for (const scopes of [['create:signing_keys'], ['update:signing_keys']]) {
      const answer = await api('/keys/signing/rotate', await scopedToken(server, adminToken, scopes), {
        method: 'POST',
      });
      assert.equal(answer.status, 403, scopes.join(' '));
      assert.deepEqual(await answer.json(), {
        statusCode: 403,
        error: 'Forbidden',
        message: 'Insufficient scope, expected all of: create:signing_keys,update:signing_keys',
        errorCode: 'insufficient_scope',
      });
    }
    assert.equal(await currentKid(), before, 'no rotation by the refused calls');
    const both = await scopedToken(server, adminToken, ['create:signing_keys', 'update:signing_keys']);
    const answer = await api('/keys/signing/rotate', both, { method: 'POST' });
    assert.equal(answer.status, 201);
    assert.notEqual(await currentKid(), before);
  });
});
