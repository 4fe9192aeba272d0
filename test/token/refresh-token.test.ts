// The refresh_token grant (RFC 6749 §6) with Auth0's rotation (Auth0 docs: "Refresh Token Rotation"):
// rotating clients get a new token on each use and the reuse of a spent one revokes the whole family, the
// newest member included, also when two requests race; only the immediately previous token may be retried
// inside the leeway; non-rotating tokens keep working; expiring tokens expire (absolute and idle); refresh
// tokens only for offline_access on APIs that allow it; narrower scopes, never wider; every answer for an
// openid grant carries a new id_token; a replayed code revokes its family; CORS for browser apps. Refresh
// tokens are obtained the real way: Alice signs in over HTTP and the code is exchanged with offline_access.
import assert from 'node:assert/strict';
import { createRemoteJWKSet, decodeJwt, jwtVerify } from 'jose';
import { after, before, test } from 'node:test';
import { forEachDatabase } from '../helpers/each-database.js';
import { type RunningGatehouse, startGatehouse } from '../helpers/server.js';
import {
  CookieJarClient,
  getUserinfo,
  type JsonAnswer,
  pkcePair,
  postToken,
  signIn,
  silentCode,
} from '../helpers/http-client.js';
import { CALLBACK, OPEN_API, scopes, signInTenant, spaClient, users, webClient } from '../helpers/fixtures.js';

const OFFLINE_API = 'https://offline.acme.test';
const SECRET = 'refresh-secret-0123456789-abcdefghijklmnopqrstu';
const SPA_ORIGIN = 'http://localhost:3005';
const INVALID_REFRESH = { error: 'invalid_grant', error_description: 'Unknown or invalid refresh token.' };
const INVALID_CODE = { error: 'invalid_grant', error_description: 'Invalid authorization code' };
const FULL_SCOPE = 'openid profile offline_access read:items write:items';

type ClientId = 'rotating' | 'leeway' | 'static' | 'expiring' | 'expiring-rotating' | 'public' | 'no-refresh-grant';

function refreshTenant() {
  const confidential = (
    client_id: ClientId,
    refresh_token: Record<string, unknown>,
    grant_types = ['authorization_code', 'refresh_token'],
  ) =>
    webClient({
      client_id,
      client_secret: SECRET,
      name: client_id,
      token_endpoint_auth_method: 'client_secret_post',
      grant_types,
      refresh_token,
    });
  const nonExpiring = { expiration_type: 'non-expiring' };
  return signInTenant({
    resource_servers: [
      {
        identifier: OFFLINE_API,
        name: 'Offline API',
        allow_offline_access: true,
        scopes: scopes('read:items', 'write:items'),
      },
    ],
    clients: [
      confidential('rotating', { rotation_type: 'rotating', ...nonExpiring, leeway: 0 }),
      confidential('leeway', { rotation_type: 'rotating', ...nonExpiring, leeway: 30 }),
      confidential('static', { rotation_type: 'non-rotating', ...nonExpiring }),
      confidential('expiring', {
        rotation_type: 'non-rotating',
        expiration_type: 'expiring',
        token_lifetime: 300,
        idle_token_lifetime: 60,
      }),
      confidential('expiring-rotating', {
        rotation_type: 'rotating',
        expiration_type: 'expiring',
        token_lifetime: 300,
        idle_token_lifetime: 60,
      }),
      confidential('no-refresh-grant', { rotation_type: 'non-rotating', ...nonExpiring }, ['authorization_code']),
      // A public client rotates whatever its settings say.
      spaClient({
        client_id: 'public',
        name: 'SPA',
        grant_types: ['authorization_code', 'refresh_token'],
        callbacks: [`${SPA_ORIGIN}/`],
        web_origins: [SPA_ORIGIN],
        refresh_token: { rotation_type: 'non-rotating', ...nonExpiring },
      }),
    ],
  });
}

forEachDatabase('the refresh_token grant', (db) => {
  let server: RunningGatehouse;
  let jwks: ReturnType<typeof createRemoteJWKSet>;
  /** The server's clock runs `offset` ms ahead of the real one, or stands still at `frozen`. */
  let offset = 0;
  let frozen: number | undefined;
  let alice: CookieJarClient;

  before(async () => {
    server = await startGatehouse({
      databaseUrl: db().url,
      tenant: refreshTenant(),
      now: () => frozen ?? Date.now() + offset,
    });
    jwks = createRemoteJWKSet(new URL(server.url('/.well-known/jwks.json')));
    alice = new CookieJarClient(server);
    await signIn(
      alice,
      { client_id: 'static', redirect_uri: CALLBACK, response_type: 'code', scope: 'openid' },
      users.alice.email,
    );
  });
  after(() => server.close());

  const credentials = (client: ClientId): Record<string, string> =>
    client === 'public' ? { client_id: client } : { client_id: client, client_secret: SECRET };

  /** A code for Alice (through her session), by default with offline_access for the offline API: the token request that redeems it. */
  async function codeRedemption(
    client: ClientId,
    scope = FULL_SCOPE,
    audience = OFFLINE_API,
  ): Promise<Record<string, string>> {
    const pkce = pkcePair();
    const redirectUri = client === 'public' ? `${SPA_ORIGIN}/` : CALLBACK;
    const callback = await silentCode(alice, {
      client_id: client,
      redirect_uri: redirectUri,
      response_type: 'code',
      scope,
      audience,
      code_challenge: pkce.challenge,
      code_challenge_method: 'S256',
    });
    const code = callback.searchParams.get('code');
    assert.ok(code, `no code in ${callback}`);
    return {
      grant_type: 'authorization_code',
      code,
      redirect_uri: redirectUri,
      code_verifier: pkce.verifier,
      ...credentials(client),
    };
  }

  /** Alice's tokens from a code exchange, by default with offline_access for the offline API. */
  async function signInTokens(
    client: ClientId,
    scope = FULL_SCOPE,
    audience = OFFLINE_API,
  ): Promise<Record<string, unknown>> {
    const answer = await postToken(server, await codeRedemption(client, scope, audience));
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    return answer.body;
  }

  async function refreshTokenOf(client: ClientId, scope?: string): Promise<string> {
    const body = await signInTokens(client, scope);
    assert.equal(typeof body.refresh_token, 'string', `no refresh token: ${JSON.stringify(body)}`);
    return body.refresh_token as string;
  }

  const refresh = (
    client: ClientId,
    refreshToken: string,
    extra: Record<string, string> = {},
    headers: Record<string, string> = {},
  ): Promise<JsonAnswer> =>
    postToken(
      server,
      { grant_type: 'refresh_token', refresh_token: refreshToken, ...credentials(client), ...extra },
      headers,
    );

  async function refreshed(client: ClientId, refreshToken: string, extra: Record<string, string> = {}) {
    const answer = await refresh(client, refreshToken, extra);
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    assert.equal(answer.headers.get('cache-control'), 'no-store');
    return answer.body;
  }

  async function refused(client: ClientId, refreshToken: string, message?: string) {
    const answer = await refresh(client, refreshToken);
    assert.deepEqual({ status: answer.status, body: answer.body }, { status: 403, body: INVALID_REFRESH }, message);
  }

  async function verifyIdToken(idToken: unknown, client: ClientId) {
    assert.equal(typeof idToken, 'string', 'an id_token');
    return (await jwtVerify(idToken as string, jwks, { issuer: server.issuer, audience: client })).payload;
  }

  test('rotating: a new refresh token on every use, each answer with a new id_token and access token', async () => {
    let current = await refreshTokenOf('rotating');
    const seen = [current];
    const idTokens: string[] = [];
    for (let i = 0; i < 3; i++) {
      offset += 1000; // a new second: the ID token's iat, and so the token, differs
      const body = await refreshed('rotating', current);
      assert.equal(typeof body.refresh_token, 'string');
      assert.ok(!seen.includes(body.refresh_token as string), 'a new refresh token');
      current = body.refresh_token as string;
      seen.push(current);
      const claims = await verifyIdToken(body.id_token, 'rotating');
      assert.equal(claims.sub, users.alice.user_id);
      assert.equal(claims.name, 'Alice Liddell');
      assert.ok(!idTokens.includes(body.id_token as string), 'a new id_token');
      idTokens.push(body.id_token as string);
      assert.equal(body.scope, 'openid profile read:items write:items offline_access');
      const access = (await jwtVerify(body.access_token as string, jwks, { issuer: server.issuer })).payload;
      assert.deepEqual(access.aud, [OFFLINE_API, `${server.issuer}userinfo`]);
      assert.equal(access.gty, 'refresh_token');
      assert.equal(access.azp, 'rotating');
    }
  });

  test('rotating: reusing a spent token is refused and revokes the whole family, the newest token included', async () => {
    const other = await refreshTokenOf('rotating'); // another family of the same user and client
    const first = await refreshTokenOf('rotating');
    const second = (await refreshed('rotating', first)).refresh_token as string;
    const newest = (await refreshed('rotating', second)).refresh_token as string;
    await refused('rotating', first, 'a spent token');
    await refused('rotating', newest, 'the newest token of the family');
    await refused('rotating', second);
    assert.ok((await refreshed('rotating', other)).refresh_token, 'another family is untouched');
  });

  test('rotating: two requests racing with one token: exactly one wins, and the family is revoked', async () => {
    for (let round = 0; round < 4; round++) {
      const token = await refreshTokenOf('rotating');
      const answers = await Promise.all([refresh('rotating', token), refresh('rotating', token)]);
      assert.deepEqual(answers.map((a) => a.status).sort(), [200, 403], JSON.stringify(answers.map((a) => a.body)));
      const winner = answers.find((a) => a.status === 200)!;
      assert.deepEqual(answers.find((a) => a.status === 403)!.body, INVALID_REFRESH);
      await refused('rotating', winner.body.refresh_token as string, "the winner's new token went with the family");
    }
  });

  test('leeway 0: a reuse at the very same instant is still a reuse', async () => {
    frozen = Date.now() + offset;
    try {
      const token = await refreshTokenOf('rotating');
      const next = (await refreshed('rotating', token)).refresh_token as string;
      await refused('rotating', token);
      await refused('rotating', next);
    } finally {
      offset = frozen - Date.now() + 1;
      frozen = undefined;
    }
  });

  test('leeway 30: the immediately previous token may be retried inside the leeway, and replaces its successor', async () => {
    const first = await refreshTokenOf('leeway');
    const lost = (await refreshed('leeway', first)).refresh_token as string; // an answer the app never received
    offset += 10_000;
    const retried = await refreshed('leeway', first);
    assert.ok(retried.refresh_token && retried.refresh_token !== lost);
    assert.ok(retried.id_token);
    await refused('leeway', lost, 'the replaced successor');
    const next = (await refreshed('leeway', retried.refresh_token as string)).refresh_token as string;

    // Two generations back is a reuse, leeway or not: the family goes.
    offset += 1000;
    await refused('leeway', first);
    await refused('leeway', next, 'the family was revoked');
  });

  test('leeway 30: past the leeway, retrying the previous token is a reuse that revokes the family', async () => {
    const first = await refreshTokenOf('leeway');
    const next = (await refreshed('leeway', first)).refresh_token as string;
    offset += 31_000;
    await refused('leeway', first);
    await refused('leeway', next);
  });

  test('leeway 30: two racing requests both succeed, and only one of the two new tokens stays valid', async () => {
    const token = await refreshTokenOf('leeway');
    const answers = await Promise.all([refresh('leeway', token), refresh('leeway', token)]);
    assert.deepEqual(
      answers.map((a) => a.status),
      [200, 200],
      JSON.stringify(answers.map((a) => a.body)),
    );
    const results = [];
    for (const answer of answers) results.push((await refresh('leeway', answer.body.refresh_token as string)).status);
    assert.deepEqual(results.sort(), [200, 403]);
  });

  // RFC 6749 §4.1.2: a code used twice revokes every token its redemption issued, the refresh token family included.
  async function replayRefused(redemption: Record<string, string>) {
    const replay = await postToken(server, redemption);
    assert.deepEqual({ status: replay.status, body: replay.body }, { status: 403, body: INVALID_CODE });
  }

  test('a replayed code revokes its refresh token and the tokens rotated from it before the replay', async () => {
    const other = await refreshTokenOf('rotating'); // another family of the same user and client
    const redemption = await codeRedemption('rotating');
    const first = await postToken(server, redemption);
    assert.equal(first.status, 200, JSON.stringify(first.body));
    const rotated = await refreshed('rotating', first.body.refresh_token as string);
    const newest = (await refreshed('rotating', rotated.refresh_token as string)).refresh_token as string;
    await replayRefused(redemption);
    assert.equal((await getUserinfo(server, `Bearer ${first.body.access_token as string}`)).status, 401);
    await refused('rotating', newest, 'the newest token of the family');
    await refused('rotating', rotated.refresh_token as string, 'a token rotated from it');
    await refused('rotating', first.body.refresh_token as string, "the first redemption's token");
    assert.ok((await refreshed('rotating', other)).refresh_token, 'another family is untouched');
  });

  test('a replayed code revokes a non-rotating refresh token that kept working until then', async () => {
    const redemption = await codeRedemption('static');
    const first = await postToken(server, redemption);
    assert.equal(first.status, 200, JSON.stringify(first.body));
    const token = first.body.refresh_token as string;
    assert.ok((await refreshed('static', token)).access_token);
    await replayRefused(redemption);
    await refused('static', token);
  });

  test('two redemptions of one code racing: exactly one wins, and its refresh token is revoked by the other', async () => {
    for (let round = 0; round < 4; round++) {
      const redemption = await codeRedemption(round % 2 ? 'static' : 'rotating');
      const answers = await Promise.all([postToken(server, redemption), postToken(server, redemption)]);
      assert.deepEqual(answers.map((a) => a.status).sort(), [200, 403], JSON.stringify(answers.map((a) => a.body)));
      assert.deepEqual(answers.find((a) => a.status === 403)!.body, INVALID_CODE);
      const winner = answers.find((a) => a.status === 200)!;
      await refused(
        redemption.client_id as ClientId,
        winner.body.refresh_token as string,
        "the winner's refresh token",
      );
    }
  });

  test('non-rotating confidential client: the same token keeps working and no new one is returned', async () => {
    const token = await refreshTokenOf('static');
    for (let i = 0; i < 3; i++) {
      const body = await refreshed('static', token);
      assert.equal(body.refresh_token, undefined);
      assert.ok(body.access_token);
      await verifyIdToken(body.id_token, 'static');
    }
  });

  test('a public client rotates although its settings say non-rotating', async () => {
    const token = await refreshTokenOf('public');
    const body = await refreshed('public', token);
    assert.ok(body.refresh_token && body.refresh_token !== token);
    await verifyIdToken(body.id_token, 'public');
    await refused('public', token);
    await refused('public', body.refresh_token as string);
  });

  test('expiring, non-rotating: use keeps it alive until its absolute lifetime (300 s); idle for 60 s it expires', async () => {
    const token = await refreshTokenOf('expiring');
    for (let elapsed = 50; elapsed <= 250; elapsed += 50) {
      offset += 50_000;
      await refreshed('expiring', token);
    }
    offset += 51_000; // 301 s after it was issued
    await refused('expiring', token, 'past token_lifetime');

    const idle = await refreshTokenOf('expiring');
    offset += 59_000;
    await refreshed('expiring', idle);
    offset += 61_000;
    await refused('expiring', idle, 'past idle_token_lifetime');
  });

  test('expiring, rotating: the family keeps the first token’s absolute lifetime; an idle token expires', async () => {
    let token = await refreshTokenOf('expiring-rotating');
    for (let elapsed = 50; elapsed <= 250; elapsed += 50) {
      offset += 50_000;
      token = (await refreshed('expiring-rotating', token)).refresh_token as string;
    }
    offset += 51_000;
    await refused('expiring-rotating', token, 'past the family’s token_lifetime');

    const idle = await refreshTokenOf('expiring-rotating');
    offset += 61_000;
    await refused('expiring-rotating', idle, 'past idle_token_lifetime');
  });

  test('no refresh token for an API without allow_offline_access, without offline_access, or without the grant', async () => {
    const noOffline = await signInTokens('static', 'openid offline_access read:items', OPEN_API);
    assert.equal(noOffline.refresh_token, undefined);
    assert.equal(noOffline.scope, 'openid read:items');
    const notAsked = await signInTokens('static', 'openid read:items');
    assert.equal(notAsked.refresh_token, undefined);
    const noGrant = await signInTokens('no-refresh-grant');
    assert.equal(noGrant.refresh_token, undefined);
    assert.doesNotMatch(String(noGrant.scope), /offline_access/);

    const token = await refreshTokenOf('static');
    const answer = await refresh('no-refresh-grant', token);
    assert.deepEqual(
      { status: answer.status, body: answer.body },
      {
        status: 403,
        body: {
          error: 'unauthorized_client',
          error_description: "Grant type 'refresh_token' not allowed for the client.",
        },
      },
    );
  });

  test('a narrower scope on refresh works, the token keeps its original scope; a wider one is invalid_scope and spends nothing', async () => {
    const token = await refreshTokenOf('rotating');
    const narrow = await refreshed('rotating', token, { scope: 'openid read:items' });
    assert.equal(narrow.scope, 'openid read:items offline_access');
    assert.equal(decodeJwt(narrow.access_token as string).scope, 'openid read:items offline_access');
    const claims = await verifyIdToken(narrow.id_token, 'rotating');
    assert.equal(claims.name, undefined, 'no profile claims without profile');
    const full = await refreshed('rotating', narrow.refresh_token as string);
    assert.equal(
      full.scope,
      'openid profile read:items write:items offline_access',
      'the new token kept the original scope',
    );

    const current = full.refresh_token as string;
    for (const scope of ['openid email', 'openid read:items delete:items']) {
      const wider = await refresh('rotating', current, { scope });
      assert.equal(wider.status, 400, JSON.stringify(wider.body));
      assert.equal(wider.body.error, 'invalid_scope');
    }
    assert.ok((await refreshed('rotating', current)).refresh_token, 'the refused requests did not spend the token');
  });

  test("another client's refresh token is refused, and stays good for its own client", async () => {
    const token = await refreshTokenOf('rotating');
    await refused('static', token);
    await refused('leeway', token);
    await refused('rotating', 'not-a-refresh-token');
    assert.ok((await refreshed('rotating', token)).refresh_token);
  });

  test('every refresh answer for an openid grant carries an id_token; without openid there is none', async () => {
    for (const client of ['rotating', 'static', 'public'] as const) {
      const body = await refreshed(client, await refreshTokenOf(client));
      const claims = await verifyIdToken(body.id_token, client);
      assert.equal(claims.nonce, undefined);
      assert.ok(claims.sid);
    }
    const withoutOpenid = await refreshed('static', await refreshTokenOf('static', 'offline_access read:items'));
    assert.equal(withoutOpenid.id_token, undefined);
    assert.ok(withoutOpenid.access_token);
  });

  test('CORS: the preflight from the SPA origin on /oauth/token, then the refresh answer readable by it', async () => {
    const preflight = await fetch(server.url('/oauth/token'), {
      method: 'OPTIONS',
      headers: {
        origin: SPA_ORIGIN,
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'auth0-client,content-type',
      },
    });
    assert.equal(preflight.status, 204);
    assert.equal(preflight.headers.get('access-control-allow-origin'), SPA_ORIGIN);
    assert.match(preflight.headers.get('access-control-allow-methods') ?? '', /POST/);
    assert.match(preflight.headers.get('access-control-allow-headers') ?? '', /Auth0-Client/i);
    assert.match(preflight.headers.get('access-control-allow-headers') ?? '', /Content-Type/i);

    const token = await refreshTokenOf('public');
    const answer = await refresh(
      'public',
      token,
      {},
      { origin: SPA_ORIGIN, 'auth0-client': 'eyJuYW1lIjoiYXV0aDAtc3BhLWpzIn0=' },
    );
    assert.equal(answer.status, 200);
    assert.equal(answer.headers.get('access-control-allow-origin'), SPA_ORIGIN);
    const reuse = await refresh('public', token, {}, { origin: SPA_ORIGIN });
    assert.equal(reuse.status, 403);
    assert.equal(
      reuse.headers.get('access-control-allow-origin'),
      SPA_ORIGIN,
      'the refusal is readable too: auth0-spa-js matches its text',
    );
  });
});
