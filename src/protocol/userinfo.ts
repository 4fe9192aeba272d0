// OIDC Core §5.3 UserInfo: a bearer access token whose audience includes <issuer>userinfo, not revoked,
// for a user who still exists and is not blocked; the claims its scopes allow.
import { createLocalJWKSet, type JWTPayload, jwtVerify } from 'jose';
import type { Stores } from '../store/types.js';
import { OAuthError } from './errors.js';
import type { Keyring } from './keys/keyring.js';
import { userClaims } from './tokens/id-token.js';

export interface UserinfoDeps {
  stores: Pick<Stores, 'users' | 'revokedTokens'>;
  keyring: Keyring;
  issuer: string;
  now: () => number;
}

const invalid = (description: string) =>
  new OAuthError('invalid_token', description, {
    headers: { 'WWW-Authenticate': `Bearer error="invalid_token", error_description="${description}"` },
  });

/**
 * Where a request may carry its access token (RFC 6750 §2): the Authorization header, `access_token` in a
 * form-encoded POST body, or `access_token` in the query. A parameter sent twice is an array.
 */
export interface BearerLocations {
  authorization?: string;
  form?: string | string[];
  query?: string | string[];
}

// RFC 6750 §3.1: invalid_request for a repeated parameter or more than one method, answered with 400.
const invalidRequest = (description: string) =>
  new OAuthError('invalid_request', description, {
    headers: { 'WWW-Authenticate': `Bearer error="invalid_request", error_description="${description}"` },
  });

// RFC 6750 §3.1: without credentials the challenge carries no error code.
const missing = () =>
  new OAuthError('invalid_token', 'Missing or malformed bearer token', {
    headers: { 'WWW-Authenticate': 'Bearer realm="Gatehouse"' },
  });

/**
 * The access token from the one place it was sent. RFC 6750 §2: "Clients MUST NOT use more than one method
 * to transmit the token in each request." Another Authorization scheme (Basic) is not a bearer method.
 */
export function bearerToken({ authorization, form, query }: BearerLocations): string {
  const header = authorization !== undefined && /^bearer(\s|$)/i.test(authorization.trim()) ? authorization : undefined;
  const sent = [header, form, query].filter((place) => place !== undefined);
  if (sent.length > 1) throw invalidRequest('The access token was sent by more than one method');
  if (Array.isArray(form) || Array.isArray(query)) throw invalidRequest('Parameter sent more than once: access_token');
  if (header !== undefined) {
    // RFC 6750 §2.1: `Authorization: Bearer <b64token>`.
    const match = /^Bearer ([A-Za-z0-9._~+/-]+=*)$/i.exec(header.trim());
    if (!match) throw missing();
    return match[1];
  }
  const token = form ?? query;
  if (!token) throw missing();
  return token;
}

export async function userinfo(token: string, deps: UserinfoDeps): Promise<Record<string, unknown>> {
  let payload: JWTPayload;
  try {
    ({ payload } = await jwtVerify(token, createLocalJWKSet(await deps.keyring.publicKeys()), {
      issuer: deps.issuer,
      audience: `${deps.issuer}userinfo`,
      currentDate: new Date(deps.now()),
    }));
  } catch {
    throw invalid('The access token is invalid or expired');
  }
  if (typeof payload.sub !== 'string' || (payload.jti && (await deps.stores.revokedTokens.isRevoked(payload.jti)))) {
    throw invalid('The access token was revoked');
  }
  const user = await deps.stores.users.get(payload.sub);
  if (!user || user.blocked) throw invalid('The access token is invalid');
  const scope = typeof payload.scope === 'string' ? payload.scope.split(' ') : [];
  return userClaims(user, scope);
}
