// Sending what /authorize decided: a redirect or form_post page for the client, or the next page of the
// interaction (login, sign-up, consent).
import type { FastifyReply } from 'fastify';
import type { Decision } from '../protocol/authorize/interaction.js';
import type { AuthorizationResponse } from '../protocol/response-modes/index.js';

/** Where each interaction step lives; screen_hint=signup opens the sign-up page instead of the login page. */
export function sendDecision(reply: FastifyReply, decision: Decision, afterPost: boolean, screenHint?: unknown) {
  if (decision.kind === 'respond') return sendAuthorizationResponse(reply, decision.response, afterPost);
  const page = decision.kind === 'consent' ? 'consent' : screenHint === 'signup' ? 'signup' : 'login';
  return reply.header('cache-control', 'no-store').redirect(`/u/${page}?state=${encodeURIComponent(decision.transactionId)}`, afterPost ? 303 : 302);
}

export function sendAuthorizationResponse(reply: FastifyReply, response: AuthorizationResponse, afterPost: boolean) {
  if (response.kind === 'redirect') {
    return reply.header('cache-control', 'no-store').redirect(response.location, afterPost ? 303 : 302);
  }
  return reply.code(200).headers({ 'content-type': 'text/html; charset=utf-8', ...response.headers }).send(response.body);
}

