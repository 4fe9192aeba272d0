// ID tokens (OIDC Core §2): RS256 always, as auth0-spa-js accepts nothing else (Auth0 docs: "Signing Algorithms",
// /docs/get-started/applications/signing-algorithms); aud = client id, auth_time always, nonce echoed, sid, and the
// profile/email claims the scopes allow.
import { createHash } from 'node:crypto';
import type { Client, User } from '../../store/types.js';
import type { SigningKeys } from '../keys/keyring.js';
import { signJwt } from '../keys/sign.js';

/** OIDC Core §3.3.2.11: base64url of the left half of the SHA-256 of the value (ID tokens are RS256). */
export function halfHash(value: string): string {
  return createHash('sha256').update(value, 'ascii').digest().subarray(0, 16).toString('base64url');
}

export const profileClaims = ['name', 'given_name', 'family_name', 'nickname', 'picture'] as const;

/** OIDC Core §5.4: the claims each scope releases. `sub` always. */
export function userClaims(user: User, scope: readonly string[]): Record<string, unknown> {
  const claims: Record<string, unknown> = { sub: user.user_id };
  if (scope.includes('profile')) {
    for (const name of profileClaims) if (user[name] !== null) claims[name] = user[name];
    if (claims.nickname === undefined && user.email) claims.nickname = user.email.split('@')[0];
    if (claims.name === undefined && user.email) claims.name = user.email;
    // An ISO string, as Auth0's /userinfo answers (Auth0 docs: "Get User Info", /docs/api/authentication/user-profile/get-user-info),
    // not OIDC Core §5.1's number: apps parse it as a date.
    claims.updated_at = new Date(user.updated_at).toISOString();
  }
  if (scope.includes('email') && user.email) {
    claims.email = user.email;
    claims.email_verified = user.email_verified;
  }
  return claims;
}

export interface IdTokenInput {
  issuer: string;
  client: Client;
  user: User;
  scope: readonly string[];
  nonce?: string | null;
  sid?: string | null;
  authTime: number;
  /** at_hash / c_hash when the response type requires them (OIDC Core §3.3.2.11). */
  hashes?: { at_hash?: string; c_hash?: string };
}

export async function signIdToken(keyring: SigningKeys, input: IdTokenInput, nowMs: number): Promise<string> {
  const iat = Math.floor(nowMs / 1000);
  const payload: Record<string, unknown> = {
    ...userClaims(input.user, input.scope),
    iss: input.issuer,
    aud: input.client.client_id,
    iat,
    exp: iat + input.client.jwt_configuration.lifetime_in_seconds,
    auth_time: Math.floor(input.authTime / 1000),
    ...(input.nonce ? { nonce: input.nonce } : {}),
    ...(input.sid ? { sid: input.sid } : {}),
    ...input.hashes,
  };
  return signJwt(await keyring.signingKey('RS256'), 'JWT', payload);
}
