// GET and POST /authorize, and /authorize/resume after the login page: thin adapters around
// protocol/authorize/interaction.ts. An error the client may not receive is an error page (400).
import type {} from '@fastify/cookie';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { sendErrorPage, type PageDeps } from '../login/pages.js';
import { SESSION_COOKIE } from '../login/routes.js';
import { authorize, type InteractionDeps, resumeAuthorization } from '../protocol/authorize/interaction.js';
import { sendDecision } from '../login/authorization-response.js';
import { AuthorizeError, type RawParams } from '../protocol/authorize/request.js';
import { OAuthError } from '../protocol/errors.js';
import { findSession } from '../protocol/session.js';
import type { Store } from '../store/types.js';

export interface AuthorizeRouteDeps extends PageDeps {
  store: Store;
  interaction: InteractionDeps;
  now: () => number;
}

export function authorizeRoutes(app: FastifyInstance, deps: AuthorizeRouteDeps) {
  const session = async (request: FastifyRequest) =>
    findSession(deps.store.sessions, request.cookies[SESSION_COOKIE], await deps.store.tenant.get(), deps.now());

  async function handle(request: FastifyRequest, reply: FastifyReply, raw: RawParams, afterPost: boolean) {
    try {
      return sendDecision(reply, await authorize(raw, await session(request), deps.interaction), afterPost, raw.screen_hint);
    } catch (error) {
      if (error instanceof AuthorizeError) return sendErrorPage(reply, deps, 400, error.error.description, 'Invalid request');
      throw error;
    }
  }

  app.get('/authorize', (request, reply) => handle(request, reply, request.query as RawParams, false));
  app.post('/authorize', (request, reply) => handle(request, reply, (request.body ?? {}) as RawParams, true));

  app.get('/authorize/resume', async (request: FastifyRequest<{ Querystring: { state?: string } }>, reply) => {
    const id = request.query.state;
    try {
      if (typeof id !== 'string' || id.length > 100) throw new AuthorizeError(new OAuthError('invalid_request', 'Missing state'));
      return sendDecision(reply, await resumeAuthorization(id, await session(request), deps.interaction), false);
    } catch (error) {
      if (error instanceof AuthorizeError) return sendErrorPage(reply, deps, 400, error.error.description, 'Invalid request');
      throw error;
    }
  });
}
