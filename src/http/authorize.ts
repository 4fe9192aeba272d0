// GET and POST /authorize, and /authorize/resume after the login page: thin adapters around
// protocol/authorize/interaction.ts. An error the client may not receive is an error page (400, or 429 past
// the caps on pending sign-ins).
import type {} from '@fastify/cookie';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { randomSecret } from '../crypto/random.js';
import { sendErrorPage, type PageDeps } from '../login/pages.js';
import { SESSION_COOKIE, startBrowserSession } from '../login/session-cookie.js';
import {
  authorize,
  type InteractionDeps,
  resumeAuthorization,
  type TicketSignIn,
} from '../protocol/authorize/interaction.js';
import { sendDecision } from '../login/authorization-response.js';
import { isBrowserId, transactionOwners } from '../protocol/authorize/pending-logins.js';
import { AuthorizeError, type RawParams } from '../protocol/authorize/request.js';
import { OAuthError } from '../protocol/errors.js';
import { redeemLoginTicket } from '../protocol/cross-origin.js';
import { findSession } from '../protocol/session.js';
import type { Store } from '../store/types.js';
import { VERIFIER_COOKIE } from './cross-origin.js';

export interface AuthorizeRouteDeps extends PageDeps {
  store: Store;
  interaction: InteractionDeps;
  now: () => number;
  secureCookies: boolean;
}

/** Names the browser for its cap on pending sign-ins; nothing else reads it. */
export const BROWSER_COOKIE = 'gatehouse_browser';

export function authorizeRoutes(app: FastifyInstance, deps: AuthorizeRouteDeps) {
  const session = async (request: FastifyRequest) =>
    findSession(deps.store.sessions, request.cookies[SESSION_COOKIE], await deps.store.tenant.get(), deps.now());

  const sendAuthorizeError = (reply: FastifyReply, error: AuthorizeError) =>
    error.error.code === 'too_many_requests'
      ? sendErrorPage(
          reply.headers(error.error.headers),
          deps,
          error.error.status,
          error.error.description,
          'Too many sign-ins',
        )
      : sendErrorPage(reply, deps, error.error.status, error.error.description, 'Invalid request');

  /**
   * A login ticket from /co/authenticate, with this browser's verifier cookie: starts the SSO session as the
   * login page does (a new sign-in replaces the browser's session) and spends the verifier.
   */
  const ticketSignIn =
    (request: FastifyRequest, reply: FastifyReply): TicketSignIn =>
    async (authorizeRequest) => {
      const verifier = request.cookies[VERIFIER_COOKIE];
      const userId = await redeemLoginTicket(authorizeRequest, verifier, { stores: deps.store, now: deps.now });
      if (verifier) reply.clearCookie(VERIFIER_COOKIE, { path: '/authorize' });
      // A user blocked since the ticket was made gets no session (the flow answers access_denied).
      const user = userId && (await deps.store.users.get(userId));
      if (!user || user.blocked) return undefined;
      return startBrowserSession(request, reply, deps, user.user_id);
    };

  async function handle(request: FastifyRequest, reply: FastifyReply, raw: RawParams, afterPost: boolean) {
    const cookie = request.cookies[BROWSER_COOKIE];
    const browserId = isBrowserId(cookie) ? cookie : randomSecret();
    try {
      const decision = await authorize(
        raw,
        await session(request),
        transactionOwners(request.ip, browserId),
        deps.interaction,
        ticketSignIn(request, reply),
      );
      // A browser without the cookie gets it once a transaction counts against it. Lax: /authorize is a
      // top-level navigation; a client without cookies is counted by its network alone.
      if (browserId !== cookie && decision.kind !== 'respond') {
        reply.setCookie(BROWSER_COOKIE, browserId, {
          httpOnly: true,
          secure: deps.secureCookies,
          sameSite: 'lax',
          path: '/authorize',
        });
      }
      return sendDecision(reply, decision, afterPost, raw.screen_hint);
    } catch (error) {
      if (error instanceof AuthorizeError) return sendAuthorizeError(reply, error);
      throw error;
    }
  }

  app.get('/authorize', (request, reply) => handle(request, reply, request.query as RawParams, false));
  app.post('/authorize', (request, reply) => handle(request, reply, (request.body ?? {}) as RawParams, true));

  app.get('/authorize/resume', async (request: FastifyRequest<{ Querystring: { state?: string } }>, reply) => {
    const id = request.query.state;
    try {
      if (typeof id !== 'string' || id.length > 100)
        throw new AuthorizeError(new OAuthError('invalid_request', 'Missing state'));
      return sendDecision(reply, await resumeAuthorization(id, await session(request), deps.interaction), false);
    } catch (error) {
      if (error instanceof AuthorizeError) return sendAuthorizeError(reply, error);
      throw error;
    }
  });
}
