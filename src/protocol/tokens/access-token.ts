// JWT access tokens in Auth0's profile (typ JWT, azp, gty) or RFC 9068's (typ at+jwt, no azp, no gty),
// chosen by the API's token_dialect (Auth0 docs: "Access Token Profiles", /docs/secure/tokens/access-tokens/access-token-profiles).
import { randomUUID } from 'node:crypto';
import type { ResourceServer } from '../../store/types.js';
import type { SigningKeys } from '../keys/keyring.js';
import { signJwt } from '../keys/sign.js';

export interface AccessTokenClaims {
  issuer: string;
  subject: string;
  clientId: string;
  resourceServer: ResourceServer;
  /** Extra audiences after the API identifier (`<issuer>userinfo` when openid was granted). */
  extraAudiences?: string[];
  scope: string[];
  /** Set for the *_authz dialects. */
  permissions?: string[];
  /** Auth0's grant type claim: client-credentials, password, refresh_token, … */
  gty?: string;
  lifetime: number;
  /** Given when the caller must remember the token's id (to revoke it later); random otherwise. */
  jti?: string;
}

export async function signAccessToken(keyring: SigningKeys, claims: AccessTokenClaims, nowMs: number): Promise<string> {
  const rs = claims.resourceServer;
  const rfc9068 = rs.token_dialect.startsWith('rfc9068_profile');
  const authz = rs.token_dialect.endsWith('_authz');
  const iat = Math.floor(nowMs / 1000);
  const aud = claims.extraAudiences?.length ? [rs.identifier, ...claims.extraAudiences] : rs.identifier;
  const payload: Record<string, unknown> = {
    iss: claims.issuer,
    sub: claims.subject,
    aud,
    iat,
    exp: iat + claims.lifetime,
    jti: claims.jti ?? randomUUID(),
    client_id: claims.clientId,
  };
  if (!rfc9068) payload.azp = claims.clientId;
  if (claims.scope.length) payload.scope = claims.scope.join(' ');
  if (authz) payload.permissions = claims.permissions ?? [];
  if (!rfc9068 && claims.gty) payload.gty = claims.gty;
  return signJwt(await keyring.signingKey(rs.signing_alg), rfc9068 ? 'at+jwt' : 'JWT', payload);
}
