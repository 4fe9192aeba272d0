// POST /oauth/introspect without HTTP (RFC 7662): a confidential client asks whether a token is active and
// what it carries. Gatehouse's access tokens are JWTs signed by its keyring; refresh tokens are random
// values found by their hash. Anything else is simply not active (§2.2), never an error.
import { createLocalJWKSet, type JWTPayload, jwtVerify } from 'jose';
import { sha256 } from '../crypto/hash.js';
import { signingAlgs, type Stores } from '../store/types.js';
import { authenticateClient, type ClientAuthDeps } from './client-auth.js';
import { missingParameter, OAuthError } from './errors.js';
import type { Keyring } from './keys/keyring.js';
import { refreshTokenExpiresAt, refreshTokenExpired } from './tokens/refresh-token.js';

export interface IntrospectionRequest {
  params: Readonly<Record<string, string | undefined>>;
  authorization: string | undefined;
}

export type IntrospectionDeps = ClientAuthDeps & {
  stores: Pick<Stores, 'clients' | 'clientAssertions' | 'revokedTokens' | 'refreshTokens' | 'users'>;
  keyring: Pick<Keyring, 'publicKeys'>;
  now: () => number;
};

/** The body parameters the endpoint reads besides client authentication's (RFC 7662 §2.1). */
export const introspectionParameters = ['token', 'token_type_hint'] as const;

export interface Introspection {
  active: boolean;
  scope?: string;
  client_id?: string;
  sub?: string;
  exp?: number;
  iat?: number;
  aud?: string | string[];
  iss?: string;
  token_type?: string;
}

const inactive: Introspection = Object.freeze({ active: false });
const seconds = (ms: number) => Math.floor(ms / 1000);

/** A JWT has three dot-separated parts; a refresh token is one base64url value. */
const looksLikeJwt = (token: string) => token.split('.').length === 3;

async function accessToken(token: string, deps: IntrospectionDeps): Promise<Introspection> {
  let payload: JWTPayload;
  try {
    ({ payload } = await jwtVerify(token, createLocalJWKSet(await deps.keyring.publicKeys()), {
      issuer: deps.issuer,
      algorithms: [...signingAlgs],
      currentDate: new Date(deps.now()),
    }));
  } catch {
    return inactive;
  }
  // Access tokens carry client_id and jti; ID tokens, signed by the same keys, carry neither.
  const { client_id: clientId, jti } = payload;
  if (typeof clientId !== 'string' || typeof jti !== 'string') return inactive;
  if (await deps.stores.revokedTokens.isRevoked(jti)) return inactive;
  return {
    active: true,
    ...(typeof payload.scope === 'string' ? { scope: payload.scope } : {}),
    client_id: clientId,
    sub: payload.sub,
    exp: payload.exp,
    iat: payload.iat,
    aud: payload.aud,
    iss: payload.iss,
    // RFC 7662 §2.2: the type of RFC 6749 §7.1; ours are bearer tokens (RFC 6750).
    token_type: 'Bearer',
  };
}

async function refreshToken(token: string, caller: string, deps: IntrospectionDeps): Promise<Introspection> {
  const row = await deps.stores.refreshTokens.get(sha256(token));
  // Another client's refresh token is not active for the caller, as RFC 7009 §2.1 has revocation treat it:
  // only the client it was issued to ever presents it, so no other client has a reason to ask.
  if (!row || row.client_id !== caller || row.revoked_at !== null || row.rotated_at !== null) return inactive;
  const client = await deps.stores.clients.get(row.client_id);
  const now = deps.now();
  if (!client || refreshTokenExpired(row, client, now)) return inactive;
  // A token the refresh_token grant would refuse is not active: its user was deleted or blocked.
  const user = await deps.stores.users.get(row.user_id);
  if (!user || user.blocked) return inactive;
  const expiresAt = refreshTokenExpiresAt(row, client);
  return {
    active: true,
    scope: row.scope,
    client_id: row.client_id,
    sub: row.user_id,
    ...(expiresAt === undefined ? {} : { exp: seconds(expiresAt) }),
    iat: seconds(row.created_at),
    ...(row.audience ? { aud: row.audience } : {}),
    iss: deps.issuer,
    // Not an RFC 6749 §7.1 access token type: the name RFC 7009 §2.1 gives refresh tokens as a type hint.
    token_type: 'refresh_token',
  };
}

export async function introspectToken(request: IntrospectionRequest, deps: IntrospectionDeps): Promise<Introspection> {
  const { params } = request;
  if (!params.token) throw missingParameter('token');
  const { client, method } = await authenticateClient(request.authorization, params, deps);
  // RFC 7662 §2.1 asks for authorization to call the endpoint; a public client proves nothing about itself.
  if (method === 'none') {
    throw new OAuthError('invalid_client', 'Public clients may not introspect tokens');
  }
  // Any confidential client may introspect any of our access tokens (RFC 7662 §2.1 leaves who may to the
  // server): the API a token is for is the usual caller, and the token's holder can read its claims anyway.
  return looksLikeJwt(params.token)
    ? accessToken(params.token, deps)
    : refreshToken(params.token, client.client_id, deps);
}
