// /v2/logout (Auth0) and /oidc/logout (OpenID Connect RP-Initiated Logout 1.0): end the SSO session,
// clear its cookie, and go back only to an allowed logout URL.
import type {} from '@fastify/cookie';
import type { AuditLog } from '../audit/events.js';
import type { Client } from '../store/types.js';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { sendErrorPage, sendPage, type PageDeps } from '../login/pages.js';
import { SESSION_COOKIE, sessionCookieOptions } from '../login/session-cookie.js';
import type { Keyring } from '../protocol/keys/keyring.js';
import { readIdTokenHint } from '../protocol/id-token-hint.js';
import { logoutDestination } from '../protocol/logout.js';
import { endSession } from '../protocol/session.js';
import type { Store } from '../store/types.js';

export interface LogoutDeps extends PageDeps {
  store: Store;
  keyring: Keyring;
  issuer: string;
  secureCookies: boolean;
  audit: AuditLog;
}

type Params = Record<string, string | string[] | undefined>;
const one = (params: Params, name: string) =>
  typeof params[name] === 'string' && params[name] !== '' ? (params[name] as string) : undefined;

export function logoutRoutes(app: FastifyInstance, deps: LogoutDeps) {
  async function finish(request: FastifyRequest, reply: FastifyReply, client: Client | undefined, location?: string) {
    const ended = await endSession(deps.store.sessions, request.cookies[SESSION_COOKIE]);
    // Auth0 logs slo for every logout request it accepts, with the session's user when there was one.
    deps.audit.record({
      type: 'slo',
      ip: request.ip,
      user_agent: request.headers['user-agent'],
      client_id: client?.client_id,
      client_name: client?.name,
      user_id: ended?.user_id,
      details: { return_to: location ?? null, session_ended: ended !== undefined },
    });
    reply.clearCookie(SESSION_COOKIE, sessionCookieOptions(deps.secureCookies));
    if (location) return reply.header('cache-control', 'no-store').redirect(location, 302);
    return sendPage(reply, deps, 200, { screen: 'logged-out' });
  }

  app.get('/v2/logout', async (request: FastifyRequest<{ Querystring: Params }>, reply) => {
    const clientId = one(request.query, 'client_id');
    const client = clientId ? await deps.store.clients.get(clientId) : undefined;
    if (clientId && !client)
      return sendErrorPage(reply, deps, 400, `Unknown client: ${clientId}`, 'Invalid logout request');
    const tenant = await deps.store.tenant.get();
    const destination = logoutDestination(client, tenant.allowed_logout_urls ?? [], one(request.query, 'returnTo'));
    if ('refused' in destination) {
      return sendErrorPage(
        reply,
        deps,
        400,
        'The returnTo URL is not in the list of allowed logout URLs.',
        'Invalid logout request',
      );
    }
    return finish(request, reply, client, destination.location);
  });

  const oidcLogout = async (request: FastifyRequest, reply: FastifyReply, params: Params) => {
    const hintText = one(params, 'id_token_hint');
    const hint = hintText ? await readIdTokenHint(hintText, deps.keyring, deps.issuer) : undefined;
    if (hintText && !hint)
      return sendErrorPage(reply, deps, 400, 'The id_token_hint is not valid.', 'Invalid logout request');
    const hintClient = hint?.aud[0];
    const clientId = one(params, 'client_id') ?? hintClient;
    if (hintClient && clientId !== hintClient)
      return sendErrorPage(reply, deps, 400, 'client_id does not match the id_token_hint.', 'Invalid logout request');
    const client = clientId ? await deps.store.clients.get(clientId) : undefined;
    if (clientId && !client)
      return sendErrorPage(reply, deps, 400, `Unknown client: ${clientId}`, 'Invalid logout request');
    const redirect = one(params, 'post_logout_redirect_uri');
    let location: string | undefined;
    if (redirect) {
      // RP-Initiated Logout §2: the URI must be registered for the client, so the client must be known.
      const destination = client ? logoutDestination(client, [], redirect) : { refused: true as const };
      if ('refused' in destination) {
        return sendErrorPage(
          reply,
          deps,
          400,
          'The post_logout_redirect_uri is not in the list of allowed logout URLs.',
          'Invalid logout request',
        );
      }
      const url = new URL(destination.location!);
      const state = one(params, 'state');
      if (state !== undefined) url.searchParams.set('state', state);
      location = url.toString();
    }
    return finish(request, reply, client, location);
  };
  app.get('/oidc/logout', (request, reply) => oidcLogout(request, reply, request.query as Params));
  app.post('/oidc/logout', (request, reply) => oidcLogout(request, reply, (request.body ?? {}) as Params));
}
