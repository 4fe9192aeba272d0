// Client authentication at the token endpoint (RFC 6749 §2.3, RFC 7523, OIDC Core §9):
// client_secret_basic, client_secret_post, private_key_jwt, or none for public clients.
import { decodeJwt, decodeProtectedHeader, errors as joseErrors, jwtVerify } from 'jose';
import type { CredentialCache } from './credential-cache.js';
import { type Client, credentialAlgs, type Stores, type TokenEndpointAuthMethod } from '../store/types.js';
import { missingParameter, OAuthError } from './errors.js';

export const JWT_BEARER_ASSERTION = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
/** RFC 7523 §3: the algorithms a client assertion may be signed with, those of the client's registered keys. */
export const assertionAlgs = credentialAlgs;
/**
 * An assertion lives at most five minutes (Auth0 docs: "Authenticate with Private Key JWT",
 * /docs/get-started/authentication-and-authorization-flow/authenticate-with-private-key-jwt).
 */
const MAX_ASSERTION_LIFETIME_S = 300;
const CLOCK_TOLERANCE_S = 5;
const secretMethods: readonly TokenEndpointAuthMethod[] = ['client_secret_basic', 'client_secret_post'];

export interface ClientAuthDeps {
  stores: Pick<Stores, 'clients' | 'clientAssertions'>;
  credentials: CredentialCache;
  issuer: string;
  tokenEndpoint: string;
  /** The operator's client (GATEHOUSE_ADMIN_CLIENT_ID) accepts its secret in the header or the body. */
  adminClientId: string | undefined;
  now: () => number;
}

/** The body parameters client authentication reads (RFC 6749 §2.3.1, RFC 7523 §2.2). */
export const clientAuthParameters = [
  'client_id',
  'client_secret',
  'client_assertion',
  'client_assertion_type',
] as const;

export type ClientAuthParams = Partial<Record<(typeof clientAuthParameters)[number], string>>;

export interface AuthenticatedClient {
  client: Client;
  method: TokenEndpointAuthMethod;
}

interface Presented {
  method: TokenEndpointAuthMethod;
  clientId: string;
  secret?: string;
  assertion?: string;
}

/** RFC 6749 §2.3.1: the Basic user and password are form-urlencoded before base64. */
function formDecode(value: string): string {
  return /[%+]/.test(value) ? decodeURIComponent(value.replaceAll('+', ' ')) : value;
}

function parseBasic(header: string): { clientId: string; secret: string } {
  const match = /^Basic ([A-Za-z0-9+/=._~-]+)\s*$/i.exec(header);
  if (!match) throw new OAuthError('invalid_request', 'Malformed Authorization header');
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 1) throw new OAuthError('invalid_request', 'Malformed Authorization header');
  try {
    return { clientId: formDecode(decoded.slice(0, colon)), secret: formDecode(decoded.slice(colon + 1)) };
  } catch {
    throw new OAuthError('invalid_request', 'Malformed Authorization header');
  }
}

function presentedCredentials(authorization: string | undefined, params: ClientAuthParams): Presented {
  const used =
    Number(authorization !== undefined) +
    Number(params.client_secret !== undefined) +
    Number(params.client_assertion !== undefined || params.client_assertion_type !== undefined);
  // RFC 6749 §2.3: a client must not use more than one authentication method in a request.
  if (used > 1) {
    throw new OAuthError('invalid_request', 'Only one client authentication method may be used per request');
  }
  if (authorization !== undefined) {
    const { clientId, secret } = parseBasic(authorization);
    if (params.client_id !== undefined && params.client_id !== clientId) {
      throw new OAuthError('invalid_request', 'client_id does not match the Authorization header');
    }
    return { method: 'client_secret_basic', clientId, secret };
  }
  if (params.client_assertion !== undefined || params.client_assertion_type !== undefined) {
    if (params.client_assertion_type === undefined) throw missingParameter('client_assertion_type');
    if (params.client_assertion_type !== JWT_BEARER_ASSERTION) {
      throw new OAuthError('invalid_request', `client_assertion_type must be ${JWT_BEARER_ASSERTION}`);
    }
    if (!params.client_assertion) throw missingParameter('client_assertion');
    let sub: unknown;
    try {
      sub = decodeJwt(params.client_assertion).sub;
    } catch {
      throw new OAuthError('invalid_request', 'client_assertion is not a valid JWT');
    }
    if (typeof sub !== 'string' || !sub) {
      throw new OAuthError('invalid_client', 'Client authentication failed', {
        cause: 'client assertion has no sub claim',
      });
    }
    if (params.client_id !== undefined && params.client_id !== sub) {
      throw new OAuthError('invalid_request', 'client_id does not match the client assertion');
    }
    return { method: 'private_key_jwt', clientId: sub, assertion: params.client_assertion };
  }
  if (!params.client_id) throw missingParameter('client_id');
  if (params.client_secret !== undefined)
    return { method: 'client_secret_post', clientId: params.client_id, secret: params.client_secret };
  return { method: 'none', clientId: params.client_id };
}

async function verifyAssertion(
  client: Client,
  assertion: string,
  deps: ClientAuthDeps,
  fail: (why: string) => OAuthError,
) {
  let header: ReturnType<typeof decodeProtectedHeader>;
  try {
    header = decodeProtectedHeader(assertion);
  } catch {
    throw fail('Client assertion header is malformed');
  }
  const credentials = (client.client_authentication_methods?.private_key_jwt?.credentials ?? []).filter(
    (c) => c.alg === header.alg && (header.kid === undefined || c.kid === undefined || c.kid === header.kid),
  );
  if (!credentials.length) throw fail(`No registered credential for alg ${String(header.alg)}`);
  for (const credential of credentials) {
    try {
      const { payload } = await jwtVerify(assertion, deps.credentials.publicKey(credential.pem), {
        algorithms: [credential.alg],
        issuer: client.client_id,
        subject: client.client_id,
        requiredClaims: ['exp', 'jti'],
        clockTolerance: CLOCK_TOLERANCE_S,
        currentDate: new Date(deps.now()),
      });
      // RFC 7523 §3 and Auth0's "Authenticate with Private Key JWT": aud is the issuer (with its trailing /) or the token
      // endpoint, nothing else.
      const audiences = Array.isArray(payload.aud) ? payload.aud : [payload.aud];
      if (!audiences.length || !audiences.every((a) => a === deps.issuer || a === deps.tokenEndpoint)) {
        throw fail(`Client assertion aud must be ${deps.issuer} or ${deps.tokenEndpoint}`);
      }
      const nowS = Math.floor(deps.now() / 1000);
      // An iat in the future would stretch the 5-minute bound below to any lifetime the client likes.
      if (payload.iat !== undefined && payload.iat > nowS + CLOCK_TOLERANCE_S)
        throw fail('Client assertion iat is in the future');
      const issuedAt = payload.iat ?? nowS;
      if (payload.exp! - issuedAt > MAX_ASSERTION_LIFETIME_S) {
        throw fail('Client assertion lifetime exceeds 5 minutes');
      }
      if (typeof payload.jti !== 'string' || !payload.jti || payload.jti.length > 256)
        throw fail('Client assertion jti is invalid');
      const fresh = await deps.stores.clientAssertions.remember(
        client.client_id,
        payload.jti,
        payload.exp! * 1000 + CLOCK_TOLERANCE_S * 1000,
      );
      if (!fresh) throw fail('Client assertion jti has already been used');
      return;
    } catch (error) {
      if (error instanceof OAuthError) throw error;
      if (error instanceof joseErrors.JWTExpired) throw fail('Client assertion has expired');
      if (error instanceof joseErrors.JWTClaimValidationFailed)
        throw fail(`Client assertion ${error.claim} claim is invalid`);
      // A signature that does not verify with this credential: try the next one.
    }
  }
  throw fail('Client assertion signature is invalid');
}

export async function authenticateClient(
  authorization: string | undefined,
  params: ClientAuthParams,
  deps: ClientAuthDeps,
): Promise<AuthenticatedClient> {
  const presented = presentedCredentials(authorization, params);
  // RFC 6749 §5.2: a client that tried Basic gets a WWW-Authenticate challenge back.
  const headers =
    presented.method === 'client_secret_basic'
      ? { 'WWW-Authenticate': 'Basic realm="Gatehouse", charset="UTF-8"' }
      : undefined;
  const fail = (why: string) =>
    new OAuthError('invalid_client', 'Client authentication failed', { cause: why, headers });

  const client = await deps.stores.clients.get(presented.clientId);
  if (!client) throw fail('unknown client');
  const registered = client.token_endpoint_auth_method;
  const acceptable =
    registered === presented.method ||
    (client.client_id === deps.adminClientId &&
      secretMethods.includes(registered) &&
      secretMethods.includes(presented.method));
  if (!acceptable) throw fail(`client uses ${registered}, request used ${presented.method}`);

  if (presented.method === 'private_key_jwt') {
    // RFC 6749 §5.2: every failure is the same invalid_client; the reason goes to the log only (docs/operations.md "Logs").
    await verifyAssertion(client, presented.assertion!, deps, fail);
  } else if (presented.method !== 'none') {
    if (
      !client.sealed_client_secret ||
      !deps.credentials.secretMatches(client.sealed_client_secret, presented.secret!)
    ) {
      throw fail('wrong client secret');
    }
  }
  return { client, method: presented.method };
}
