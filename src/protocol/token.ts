// POST /oauth/token without HTTP: check grant_type, authenticate the client, check the client may use
// the grant, then dispatch to the grant's handler (docs/architecture.md "A request's path").
import { authenticateClient, type ClientAuthDeps } from './client-auth.js';
import { missingParameter, OAuthError } from './errors.js';
import { endUserIp } from './forwarded-for.js';
import { grants, grantTypeNames } from './grants/index.js';
import type { GrantDeps, TokenResponse } from './grants/types.js';

export interface TokenRequest {
  params: Readonly<Record<string, string | undefined>>;
  authorization: string | undefined;
  /** The caller's IP address. */
  ip: string;
  /** The auth0-forwarded-for header: the end user's IP address, as a backend reports it (forwarded-for.ts). */
  forwardedFor: string | string[] | undefined;
}

export type TokenDeps = ClientAuthDeps & GrantDeps;

const known = new Set<string>(grantTypeNames);

export async function handleTokenRequest(request: TokenRequest, deps: TokenDeps): Promise<TokenResponse> {
  const { params } = request;
  const grantType = params.grant_type;
  // RFC 6749 §5.2: an unknown grant_type is unsupported_grant_type, checked before anything else (client auth included).
  if (!grantType) throw missingParameter('grant_type');
  if (!known.has(grantType)) throw new OAuthError('unsupported_grant_type', `Unsupported grant type: ${grantType}`);

  const { client, method } = await authenticateClient(request.authorization, params, deps);
  if (!client.grant_types.includes(grantType)) {
    throw new OAuthError('unauthorized_client', `Grant type '${grantType}' not allowed for the client.`);
  }
  const grant = grants.get(grantType);
  if (!grant)
    throw new OAuthError('unsupported_grant_type', `Grant type '${grantType}' is not available on this server yet`);
  return grant.handle({ params, client, ip: endUserIp(request.ip, request.forwardedFor, client, method) }, deps);
}
