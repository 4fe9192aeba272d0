// Sending what /authorize decided: a redirect, a form_post or web_message page for the client, or the next
// page of the interaction (login, sign-up, consent). The protocol's response modes say where the answer goes
// and with which fields; the pages are made here.
//
// form_post (OAuth 2.0 Form Post Response Mode): a form of hidden fields posted by one script, which the
// page's CSP allows by its hash, to the redirect URI only.
// web_message (Auth0's response mode for auth0-spa-js, draft-sakimura-oauth-wmrm): a page titled
// "Authorization Response" whose script posts {type: "authorization_response", response} to window.opener
// (loginWithPopup) or window.parent (silent authentication in an iframe), addressed to the redirect URI's
// origin, never "*". Only the client's web_origins may frame it; no Cross-Origin-Opener-Policy, which would
// cut window.opener.
import { createHash, randomBytes } from 'node:crypto';
import type { FastifyReply } from 'fastify';
import { Liquid } from 'liquidjs';
import type { Decision } from '../protocol/authorize/interaction.js';
import type { AuthorizationResponse } from '../protocol/response-modes/index.js';

/** A CSP source for the redirect URI: its origin, or for a custom scheme (native apps) the scheme itself. */
export function formActionSource(redirectUri: string): string {
  const url = new URL(redirectUri);
  return url.origin === 'null' ? url.protocol : url.origin;
}

/** JSON that is safe inside a <script> element: no "</script>", no HTML comment openers, no JS line breaks. */
function scriptJson(value: unknown): string {
  return JSON.stringify(value)
    .replaceAll('<', '\\u003c')
    .replaceAll('>', '\\u003e')
    .replaceAll('&', '\\u0026')
    .replaceAll('\u2028', '\\u2028')
    .replaceAll('\u2029', '\\u2029');
}

// One engine for both pages. HTML values are escaped; a <script> element's text is not HTML, so its values go
// in as script-safe JSON instead.
const liquid = new Liquid({ outputEscape: 'escape', strictVariables: true });
liquid.registerFilter('script_json', scriptJson);

const autoSubmit = 'document.forms[0].submit();';
const autoSubmitHash = createHash('sha256').update(autoSubmit).digest('base64');
const formPostPage = liquid.parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Submit This Form</title></head>
<body><form method="post" action="{{ action }}">{% for field in fields %}
<input type="hidden" name="{{ field[0] }}" value="{{ field[1] }}">{% endfor %}
<noscript><button type="submit">Continue</button></noscript>
</form><script>${autoSubmit}</script></body></html>`);

const webMessagePage = liquid.parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Authorization Response</title></head>
<body><script nonce="{{ nonce }}">
(function (message, targetOrigin) {
  var target = window.opener || window.parent;
  target.postMessage(message, targetOrigin);
})({{ message | script_json | raw }}, {{ targetOrigin | script_json | raw }});
</script></body></html>`);

function sendHtml(reply: FastifyReply, body: string, headers: Record<string, string>) {
  return reply
    .code(200)
    .headers({ 'content-type': 'text/html; charset=utf-8', ...headers })
    .send(body);
}

export function sendAuthorizationResponse(reply: FastifyReply, response: AuthorizationResponse, afterPost: boolean) {
  switch (response.mode) {
    case 'query':
    case 'fragment':
      return reply.header('cache-control', 'no-store').redirect(response.location, afterPost ? 303 : 302);
    case 'form_post':
      return sendHtml(
        reply,
        liquid.renderSync(formPostPage, { action: response.action, fields: Object.entries(response.fields) }),
        {
          // The page's CSP allows exactly its auto-submit script, and posting to the client only.
          'content-security-policy': `default-src 'none'; script-src 'sha256-${autoSubmitHash}'; form-action ${formActionSource(response.action)}; frame-ancestors 'none'; base-uri 'none'`,
          'cache-control': 'no-store',
        },
      );
    case 'web_message': {
      const nonce = randomBytes(16).toString('base64');
      const message = { type: 'authorization_response', response: response.fields };
      return sendHtml(
        reply,
        liquid.renderSync(webMessagePage, { nonce, targetOrigin: new URL(response.action).origin, message }),
        {
          'cache-control': 'no-cache, no-store',
          pragma: 'no-cache',
          'content-security-policy': `default-src 'none'; script-src 'nonce-${nonce}'; frame-ancestors ${response.webOrigins.join(' ') || "'none'"}; base-uri 'none'`,
        },
      );
    }
  }
}

/** Where each interaction step lives; screen_hint=signup opens the sign-up page instead of the login page. */
export function sendDecision(reply: FastifyReply, decision: Decision, afterPost: boolean, screenHint?: unknown) {
  if (decision.kind === 'respond') return sendAuthorizationResponse(reply, decision.response, afterPost);
  if (decision.kind === 'continue')
    return reply.header('cache-control', 'no-store').redirect(decision.location, afterPost ? 303 : 302);
  const page = decision.kind === 'consent' ? 'consent' : screenHint === 'signup' ? 'signup' : 'login';
  return reply
    .header('cache-control', 'no-store')
    .redirect(`/u/${page}?state=${encodeURIComponent(decision.transactionId)}`, afterPost ? 303 : 302);
}
