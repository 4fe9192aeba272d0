// Browser apps call /oauth/token, /oauth/revoke and /userinfo cross-origin: the preflight and the answer
// allow the origins clients list (web_origins, allowed_origins) and nothing else.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { forEachDatabase } from '../helpers/each-database.js';
import { type RunningGatehouse, startGatehouse } from '../helpers/server.js';
import { acmeTenant, API, SECRET_POST, spaClient } from '../helpers/fixtures.js';

forEachDatabase('CORS on the OAuth endpoints', (db) => {
  let server: RunningGatehouse;
  before(async () => {
    server = await startGatehouse({
      databaseUrl: db().url,
      tenant: acmeTenant({
        clients: [
          spaClient({
            client_id: 'spa-cors',
            name: 'SPA',
            callbacks: undefined,
            web_origins: ['http://localhost:3001'],
            allowed_origins: ['https://app.acme.test'],
          }),
        ],
      }),
    });
  });
  after(() => server.close());

  const preflight = (path: string, origin: string) =>
    fetch(server.url(path), {
      method: 'OPTIONS',
      headers: {
        origin,
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'content-type,auth0-client',
      },
    });

  for (const [path, methods] of [
    ['/oauth/token', 'POST'],
    ['/oauth/revoke', 'POST'],
    ['/userinfo', 'GET, POST'],
  ]) {
    for (const origin of ['http://localhost:3001', 'https://app.acme.test']) {
      test(`preflight for ${path} from ${origin} is allowed`, async () => {
        const response = await preflight(path, origin);
        assert.equal(response.status, 204);
        assert.equal(response.headers.get('access-control-allow-origin'), origin);
        assert.equal(response.headers.get('access-control-allow-methods'), methods);
        assert.match(response.headers.get('access-control-allow-headers')!, /Auth0-Client/);
        assert.equal(response.headers.get('access-control-allow-credentials'), null);
      });
    }
    test(`preflight for ${path} from an unlisted origin is refused`, async () => {
      const response = await preflight(path, 'https://evil.test');
      assert.equal(response.status, 403);
      assert.equal(response.headers.get('access-control-allow-origin'), null);
    });
  }

  test('the token answer carries the allowed origin, and not for others', async () => {
    const body = new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: 'm2m-post',
      client_secret: SECRET_POST,
      audience: API,
    });
    const allowed = await fetch(server.url('/oauth/token'), {
      method: 'POST',
      headers: { origin: 'http://localhost:3001' },
      body,
    });
    assert.equal(allowed.status, 200);
    assert.equal(allowed.headers.get('access-control-allow-origin'), 'http://localhost:3001');
    const other = await fetch(server.url('/oauth/token'), {
      method: 'POST',
      headers: { origin: 'https://evil.test' },
      body,
    });
    assert.equal(other.headers.get('access-control-allow-origin'), null);
    const error = await fetch(server.url('/oauth/token'), {
      method: 'POST',
      headers: { origin: 'http://localhost:3001' },
      body: 'grant_type=nope',
    });
    assert.equal(error.status, 400);
    assert.equal(
      error.headers.get('access-control-allow-origin'),
      'http://localhost:3001',
      'errors must be readable by the app too',
    );
  });

  test('discovery and JWKS answer any origin', async () => {
    for (const path of ['/.well-known/openid-configuration', '/.well-known/jwks.json']) {
      // The document a request without Origin gets: every origin is answered with exactly that.
      const plain = await fetch(server.url(path));
      assert.equal(plain.status, 200, path);
      const document = (await plain.json()) as Record<string, unknown>;
      for (const origin of ['https://anywhere.test', 'https://evil.test', 'null']) {
        const response = await fetch(server.url(path), { headers: { origin } });
        assert.equal(response.status, 200, `${path} from ${origin}`);
        assert.equal(response.headers.get('access-control-allow-origin'), '*');
        // Fetch Standard §3.2.5: a wildcard is never combined with credentials.
        assert.equal(response.headers.get('access-control-allow-credentials'), null, `${path} from ${origin}`);
        assert.match(response.headers.get('content-type') ?? '', /^application\/json/, `${path} from ${origin}`);
        assert.deepEqual(await response.json(), document, `${path} from ${origin}`);
      }
      if (path.endsWith('openid-configuration')) assert.equal(document.issuer, server.issuer);
      else assert.ok(Array.isArray(document.keys) && document.keys.length > 0, JSON.stringify(document));
    }
  });
});
