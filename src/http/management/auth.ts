// Bearer tokens for the Management API: an access token we signed (our JWKS), for our issuer and the
// audience <issuer>api/v2/, carrying one of the scopes the route declares (Auth0 Management API v2,
// "Scopes": each endpoint lists the scopes any of which it accepts).
import type { FastifyReply, FastifyRequest } from 'fastify';
import { createLocalJWKSet, errors as joseErrors, jwtVerify } from 'jose';
import type { Keyring } from '../../protocol/keys/keyring.js';
import { ManagementError } from './errors.js';

export interface ManagementAuthDeps {
  keyring: Keyring;
  issuer: string;
  audience: string;
  now: () => number;
}

/** What a route handler knows of the caller. */
export interface Caller {
  scopes: ReadonlySet<string>;
  clientId: string | undefined;
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The scopes any one of which lets a token call the route. */
    scopes?: readonly string[];
    /** Scopes a token must hold every one of (Auth0 lists a few routes that need two, e.g. a key rotation). */
    allScopes?: readonly string[];
    /** A download whose URL carries its own secret (a users export's file): no bearer token. */
    signedUrl?: boolean;
  }
  interface FastifyRequest {
    caller?: Caller;
  }
}

const unauthorized = (message: string) => new ManagementError(401, message, 'invalid_token');

export async function authenticate(authorization: string | undefined, deps: ManagementAuthDeps): Promise<Caller> {
  const match = /^Bearer +([^\s]+)\s*$/i.exec(authorization ?? '');
  if (!match) throw unauthorized('Missing authentication');
  let payload: Awaited<ReturnType<typeof jwtVerify>>['payload'];
  try {
    ({ payload } = await jwtVerify(match[1], createLocalJWKSet(await deps.keyring.publicKeys()), {
      issuer: deps.issuer,
      currentDate: new Date(deps.now()),
    }));
  } catch (error) {
    if (error instanceof joseErrors.JWTExpired)
      throw unauthorized('Expired token received for JSON Web Token validation');
    throw unauthorized('Invalid token');
  }
  const audiences = typeof payload.aud === 'string' ? [payload.aud] : (payload.aud ?? []);
  if (!audiences.includes(deps.audience)) throw unauthorized('Bad audience');
  const scopes = new Set(typeof payload.scope === 'string' ? payload.scope.split(' ').filter(Boolean) : []);
  const clientId =
    typeof payload.azp === 'string' ? payload.azp : typeof payload.sub === 'string' ? payload.sub : undefined;
  return { scopes, clientId };
}

const insufficient = (message: string) =>
  new ManagementError(403, `Insufficient scope, ${message}`, 'insufficient_scope');

/**
 * An onRequest hook, so that authentication comes before body validation: 401 without a good token, 403
 * without one of the route's `scopes` or without every one of its `allScopes`. A route that declares
 * neither is closed to every token.
 */
export function requireScopes(deps: ManagementAuthDeps) {
  return async (request: FastifyRequest, _reply: FastifyReply) => {
    if (request.is404 || request.routeOptions.config.signedUrl) return;
    const caller = await authenticate(request.headers.authorization, deps);
    const { scopes: anyOf = [], allScopes = [] } = request.routeOptions.config;
    const held = (scope: string) => caller.scopes.has(scope);
    if ((anyOf.length > 0 || allScopes.length === 0) && !anyOf.some(held))
      throw insufficient(`expected any of: ${anyOf.join(',')}`);
    if (!allScopes.every(held)) throw insufficient(`expected all of: ${allScopes.join(',')}`);
    request.caller = caller;
  };
}
