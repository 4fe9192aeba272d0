// Alice's tokens, obtained the real way for the suites that revoke and introspect them: a tenant with an API
// that allows offline_access and clients of each kind (rotating, non-rotating, expiring, public, Basic), and
// a function that walks /authorize with Alice's session and redeems the code.
import assert from 'node:assert/strict';
import { type CookieJarClient, pkcePair, postToken, signIn, silentCode } from './http-client.js';
import { CALLBACK, scopes, signInTenant, spaClient, users, webClient } from './fixtures.js';
import type { RunningGatehouse } from './server.js';

export const OFFLINE_API = 'https://offline.acme.test';
export const CLIENT_SECRET = 'revocation-secret-0123456789-abcdefghijklmno';
/** The public client's web origin (its callback is `${SPA_ORIGIN}/`). */
export const SPA_ORIGIN = 'http://localhost:3007';
export const FULL_SCOPE = 'openid profile offline_access read:items';

/** Client ids of tokensTenant(): confidential ones authenticate with CLIENT_SECRET. */
export type TokenClient = 'rotating' | 'static' | 'basic' | 'expiring' | 'public';

export function tokensTenant() {
  const confidential = (
    client_id: TokenClient,
    refresh_token: Record<string, unknown>,
    method = 'client_secret_post',
  ) =>
    webClient({
      client_id,
      client_secret: CLIENT_SECRET,
      name: client_id,
      token_endpoint_auth_method: method,
      grant_types: ['authorization_code', 'refresh_token'],
      refresh_token,
    });
  const nonExpiring = { expiration_type: 'non-expiring' };
  return signInTenant({
    resource_servers: [
      { identifier: OFFLINE_API, name: 'Offline API', allow_offline_access: true, scopes: scopes('read:items') },
    ],
    clients: [
      confidential('rotating', { rotation_type: 'rotating', ...nonExpiring, leeway: 0 }),
      confidential('static', { rotation_type: 'non-rotating', ...nonExpiring }),
      confidential('basic', { rotation_type: 'non-rotating', ...nonExpiring }, 'client_secret_basic'),
      confidential('expiring', {
        rotation_type: 'non-rotating',
        expiration_type: 'expiring',
        token_lifetime: 300,
        idle_token_lifetime: 60,
      }),
      spaClient({
        client_id: 'public',
        name: 'SPA',
        grant_types: ['authorization_code', 'refresh_token'],
        callbacks: [`${SPA_ORIGIN}/`],
        web_origins: [SPA_ORIGIN],
      }),
    ],
  });
}

/** Client authentication in the body (Basic for `basic`: the header the caller must send instead). */
export const clientCredentials = (client: TokenClient): Record<string, string> =>
  client === 'public' || client === 'basic'
    ? { client_id: client }
    : { client_id: client, client_secret: CLIENT_SECRET };

/** Signs Alice in once (any client); her session then serves every userTokens() call. */
export async function signInAlice(browser: CookieJarClient) {
  await signIn(
    browser,
    { client_id: 'static', redirect_uri: CALLBACK, response_type: 'code', scope: 'openid' },
    users.alice.email,
  );
}

export interface UserTokens {
  access_token: string;
  refresh_token: string;
  id_token: string;
  /** The token request that redeemed the code: posting it again replays the code. */
  redemption: Record<string, string>;
}

/** Alice's tokens for a client (Basic clients are sent with their header), with a refresh token for OFFLINE_API. */
export async function userTokens(
  server: RunningGatehouse,
  browser: CookieJarClient,
  client: TokenClient,
  headers: Record<string, string> = {},
): Promise<UserTokens> {
  const pkce = pkcePair();
  const redirectUri = client === 'public' ? `${SPA_ORIGIN}/` : CALLBACK;
  const callback = await silentCode(browser, {
    client_id: client,
    redirect_uri: redirectUri,
    response_type: 'code',
    scope: FULL_SCOPE,
    audience: OFFLINE_API,
    code_challenge: pkce.challenge,
    code_challenge_method: 'S256',
  });
  const code = callback.searchParams.get('code');
  assert.ok(code, `no code in ${callback}`);
  const redemption = {
    grant_type: 'authorization_code',
    code,
    redirect_uri: redirectUri,
    code_verifier: pkce.verifier,
    ...clientCredentials(client),
  };
  const answer = await postToken(server, redemption, headers);
  assert.equal(answer.status, 200, JSON.stringify(answer.body));
  assert.equal(typeof answer.body.refresh_token, 'string', JSON.stringify(answer.body));
  return { ...(answer.body as Omit<UserTokens, 'redemption'>), redemption };
}

/** Exchanges a refresh token (the whole answer, to check a refusal). */
export function refreshWith(
  server: RunningGatehouse,
  client: TokenClient,
  refreshToken: string,
  headers: Record<string, string> = {},
) {
  return postToken(
    server,
    { grant_type: 'refresh_token', refresh_token: refreshToken, ...clientCredentials(client) },
    headers,
  );
}
