// POST /co/authenticate (Auth0's cross-origin authentication, protocol/cross-origin.ts): JSON from auth0.js or
// Lock on the application's origin, with cookies (auth0.js sends it withCredentials), so the answer carries the
// credentials CORS header and the verifier cookie that /authorize checks with the login ticket.
import cookie from '@fastify/cookie';
import formbody from '@fastify/formbody';
import type { FastifyInstance, FastifyPluginAsync } from 'fastify';
import { sessionCookieOptions } from '../login/session-cookie.js';
import { passwordCheck } from '../protocol/password-check.js';
import {
  authenticateCrossOrigin,
  CrossOriginError,
  type CrossOriginCredentials,
  type CrossOriginDeps,
  LOGIN_TICKET_LIFETIME_MS,
} from '../protocol/cross-origin.js';
import { databaseConnectionsOf } from '../tenant-file/connections.js';
import { AUTH0_JS_PREFLIGHT, allowClientOrigin, preflightRoute } from './client-cors.js';
import { oauthErrorHandler } from './oauth/errors.js';
import type { SurfaceDeps } from './surface.js';

/** Holds the verifier of the browser's latest login ticket; sent only to /authorize. */
export const VERIFIER_COOKIE = 'gatehouse_co_verifier';

const field = { type: 'string', maxLength: 1024 } as const;
const bodySchema = {
  type: 'object',
  properties: {
    client_id: { type: 'string', maxLength: 128 },
    username: { type: 'string', maxLength: 320 },
    password: field,
    realm: { type: 'string', maxLength: 128 },
    credential_type: field,
    otp: { type: 'string', maxLength: 32 },
  },
} as const;

type CrossOriginSurfaceDeps = Pick<
  SurfaceDeps,
  'config' | 'store' | 'passwords' | 'storage' | 'audit' | 'now' | 'passwordlessKey'
>;

export function crossOriginSurface(deps: CrossOriginSurfaceDeps): FastifyPluginAsync {
  const { store, now } = deps;
  const protocolDeps: CrossOriginDeps = {
    stores: store,
    databaseConnections: (clientId) => databaseConnectionsOf(store, clientId),
    attempts: {
      ipThrottles: store.ipThrottles,
      loginFailures: store.loginFailures,
      users: store.users,
      passwords: passwordCheck(deps.passwords, store.users),
    },
    audit: deps.audit,
    passwordlessKey: deps.passwordlessKey,
    now,
  };
  const cookieOptions = {
    ...sessionCookieOptions(deps.config.issuer.startsWith('https:')),
    path: '/authorize',
    maxAge: LOGIN_TICKET_LIFETIME_MS / 1000,
  };
  return async (app: FastifyInstance) => {
    app.removeAllContentTypeParsers();
    await app.register(cookie);
    await app.register(formbody);
    app.addContentTypeParser('application/json', { parseAs: 'string' }, app.getDefaultJsonParser('error', 'error'));
    app.setErrorHandler(oauthErrorHandler(deps.storage));
    preflightRoute(app, '/co/authenticate', store.clients, { ...AUTH0_JS_PREFLIGHT, credentials: true });

    app.post<{ Body: CrossOriginCredentials }>(
      '/co/authenticate',
      { schema: { body: bodySchema } },
      async (request, reply) => {
        const body = request.body ?? {};
        reply.header('cache-control', 'no-store');
        const client = body.client_id ? await store.clients.get(body.client_id) : undefined;
        if (!client) {
          const error = body.client_id
            ? new CrossOriginError(400, 'invalid_request', `Unknown client: ${body.client_id}`)
            : new CrossOriginError(400, 'invalid_request', 'Missing required parameter: client_id');
          return reply.code(error.status).send(error.toJSON());
        }
        allowClientOrigin(request, reply, client, { credentials: true });
        try {
          const answer = await authenticateCrossOrigin(
            client,
            body,
            { origin: request.headers.origin, ip: request.ip, userAgent: request.headers['user-agent'] },
            protocolDeps,
          );
          reply.setCookie(VERIFIER_COOKIE, answer.co_verifier, cookieOptions);
          return reply.send(answer);
        } catch (error) {
          if (!(error instanceof CrossOriginError)) throw error;
          return reply.code(error.status).send(error.toJSON());
        }
      },
    );
  };
}
