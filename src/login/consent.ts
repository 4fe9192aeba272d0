// /u/consent: lists what the application asks for, with Accept and Decline (docs/sign-in.md "Consent"). Accept stores
// the scopes for this user, client and audience and resumes /authorize; Decline sends access_denied.
import type {} from '@fastify/cookie';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { sendAuthorizationResponse } from './authorization-response.js';
import { consentableScopes } from '../protocol/authorize/consent.js';
import {
  declineConsent,
  type InteractionDeps,
  type InteractionState,
  transactionUser,
} from '../protocol/authorize/interaction.js';
import { AuthorizeError } from '../protocol/authorize/request.js';
import { findSession } from '../protocol/session.js';
import { formCsrfToken, formIsGenuine } from './csrf.js';
import { EXPIRED_SIGN_IN, sendErrorPage, sendInvalidFormPage, sendPage } from './pages.js';
import type { LoginDeps } from './routes.js';
import { SESSION_COOKIE } from './session-cookie.js';

type ConsentRequest = FastifyRequest<{ Querystring: { state?: string }; Body: { action?: string; _csrf?: string } }>;

export function consentRoutes(
  app: FastifyInstance,
  deps: Omit<LoginDeps, 'passwords' | 'audit'> & { interaction: InteractionDeps },
) {
  const { store } = deps;

  /** The transaction, its signed-in user and client, or undefined when the page cannot go on. */
  async function load(request: ConsentRequest) {
    const id = request.query.state;
    if (typeof id !== 'string' || id.length > 100) return undefined;
    const session = await findSession(
      store.sessions,
      request.cookies[SESSION_COOKIE],
      await store.tenant.get(),
      deps.now(),
    );
    try {
      const { state, user } = await transactionUser(id, session, deps.interaction);
      const client = user && (await store.clients.get(state.request.client_id));
      return client && user && { id, state, user, client };
    } catch (error) {
      if (error instanceof AuthorizeError) return undefined;
      throw error;
    }
  }

  app.get('/u/consent', async (request: ConsentRequest, reply: FastifyReply) => {
    const tx = await load(request);
    if (!tx) return sendErrorPage(reply, deps, 400, EXPIRED_SIGN_IN);
    const api = tx.state.request.audience
      ? await store.resourceServers.getByIdentifier(tx.state.request.audience)
      : undefined;
    return sendPage(reply, deps, 200, {
      screen: 'consent',
      client: tx.client,
      redirectsTo: tx.state.request.redirect_uri,
      transaction: { state: tx.id, params: tx.state.request.ext },
      user: { email: tx.user.email, name: tx.user.name },
      form: {
        action: `/u/consent?state=${encodeURIComponent(tx.id)}`,
        csrf: formCsrfToken(request, reply, deps, `consent ${tx.id}`),
        scopes: await consentableScopes(tx.state.request, deps.interaction),
        audience: api?.name ?? tx.state.request.audience,
      },
    });
  });

  app.post('/u/consent', async (request: ConsentRequest, reply: FastifyReply) => {
    const tx = await load(request);
    if (!tx) return sendErrorPage(reply, deps, 400, EXPIRED_SIGN_IN);
    const body = request.body ?? {};
    if (!formIsGenuine(request, deps, `consent ${tx.id}`, body._csrf)) return sendInvalidFormPage(reply, deps);
    if (body.action === 'decline') {
      // docs/sign-in.md "Consent": a Decline is not stored.
      return sendAuthorizationResponse(reply, await declineConsent(tx.id, deps.interaction), true);
    }
    if (body.action !== 'accept') return sendErrorPage(reply, deps, 400, 'Choose Accept or Decline.', 'Invalid form');
    const { request: authorizeRequest } = tx.state;
    const scopes = (await consentableScopes(authorizeRequest, deps.interaction)).map((s) => s.value);
    await store.consents.grant(tx.user.user_id, tx.client.client_id, authorizeRequest.audience ?? '', scopes);
    const consented: InteractionState = { ...tx.state, consented: true };
    await store.loginTransactions.update(tx.id, consented);
    return reply
      .header('cache-control', 'no-store')
      .redirect(`/authorize/resume?state=${encodeURIComponent(tx.id)}`, 303);
  });
}
