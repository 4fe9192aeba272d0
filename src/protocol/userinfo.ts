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

/** RFC 6750 §2.1: `Authorization: Bearer <token>`. */
export function bearerToken(authorization: string | undefined): string {
  const match = authorization && /^Bearer ([A-Za-z0-9._~+/-]+=*)$/i.exec(authorization.trim());
  if (!match) {
    throw new OAuthError('invalid_token', 'Missing or malformed bearer token', {
      headers: { 'WWW-Authenticate': 'Bearer realm="Gatehouse"' },
    });
  }
  return match[1];
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
