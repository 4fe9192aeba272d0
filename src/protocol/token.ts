// POST /oauth/token without HTTP: check grant_type, authenticate the client, check the client may use
// the grant, then dispatch to the grant's handler (docs/architecture.md "A request's path"). Every exchange
// of a known grant is recorded as Auth0 logs it: its success or failure code, with the client and the IP.
import type { EventType } from '../audit/events.js';
import { authenticateClient, type ClientAuthDeps } from './client-auth.js';
import { missingParameter, OAuthError } from './errors.js';
import { endUserIp } from './forwarded-for.js';
import { grants, grantTypeNames } from './grants/index.js';
import type { GrantDeps, GrantRequest, TokenResponse } from './grants/types.js';

export interface TokenRequest {
  params: Readonly<Record<string, string | undefined>>;
  authorization: string | undefined;
  /** The caller's IP address. */
  ip: string;
  /** The auth0-forwarded-for header: the end user's IP address, as a backend reports it (forwarded-for.ts). */
  forwardedFor: string | string[] | undefined;
  userAgent: string | undefined;
}

export type TokenDeps = ClientAuthDeps & GrantDeps;

const known = new Set<string>(grantTypeNames);

/** Auth0's log codes for each grant's exchange (Auth0 docs, "Log Event Type Codes"): success, failure. */
const exchangeEvents = new Map<string, readonly [EventType, EventType]>([
  ['authorization_code', ['seacft', 'feacft']],
  ['client_credentials', ['seccft', 'feccft']],
  ['refresh_token', ['sertft', 'fertft']],
  ['password', ['sepft', 'fepft']],
  ['http://auth0.com/oauth/grant-type/password-realm', ['sepft', 'fepft']],
  ['http://auth0.com/oauth/grant-type/passwordless/otp', ['sepotpft', 'fepotpft']],
  ['urn:ietf:params:oauth:grant-type:device_code', ['sede', 'fede']],
]);

/** RFC 8628 §3.5: a device told to keep polling has not failed; its polls are not logged as failures. */
const stillPolling = new Set(['authorization_pending', 'slow_down']);

export async function handleTokenRequest(request: TokenRequest, deps: TokenDeps): Promise<TokenResponse> {
  const { params } = request;
  const grantType = params.grant_type;
  // RFC 6749 §5.2: an unknown grant_type is unsupported_grant_type, checked before anything else (client auth included).
  if (!grantType) throw missingParameter('grant_type');
  if (!known.has(grantType)) throw new OAuthError('unsupported_grant_type', `Unsupported grant type: ${grantType}`);
  const events = exchangeEvents.get(grantType);
  let grantRequest: GrantRequest | undefined;
  try {
    const { client, method } = await authenticateClient(request.authorization, params, deps);
    if (!client.grant_types.includes(grantType)) {
      throw new OAuthError('unauthorized_client', `Grant type '${grantType}' not allowed for the client.`);
    }
    const grant = grants.get(grantType);
    if (!grant)
      throw new OAuthError('unsupported_grant_type', `Grant type '${grantType}' is not available on this server yet`);
    grantRequest = { params, client, ip: endUserIp(request.ip, request.forwardedFor, client, method) };
    const response = await grant.handle(grantRequest, deps);
    if (events)
      deps.audit.record({
        type: events[0],
        ip: grantRequest.ip,
        user_agent: request.userAgent,
        client_id: client.client_id,
        client_name: client.name,
        audience: params.audience,
        scope: response.scope,
        ...grantRequest.subject,
      });
    return response;
  } catch (error) {
    if (events && !(error instanceof OAuthError && stillPolling.has(error.code))) {
      const client = grantRequest?.client;
      deps.audit.record({
        type: events[1],
        // Only the error's public words: never the parameters, which carry the credentials.
        description: error instanceof OAuthError ? error.description : 'Unexpected error',
        ip: grantRequest?.ip ?? request.ip,
        user_agent: request.userAgent,
        client_id: client?.client_id ?? params.client_id,
        client_name: client?.name,
        audience: params.audience,
        ...grantRequest?.subject,
        details: { error: error instanceof OAuthError ? error.code : 'server_error' },
      });
    }
    throw error;
  }
}
