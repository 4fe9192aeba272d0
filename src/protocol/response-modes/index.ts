// How an authorization response reaches the client (OAuth 2.0 Multiple Response Type Encoding Practices,
// Form Post Response Mode): a name → function map, as node-oidc-provider keeps it. Each returns a plain
// description of the HTTP answer; the HTTP layer sends it.
import { createHash } from 'node:crypto';
import { Liquid } from 'liquidjs';
import type { ResponseMode } from '../authorize/request.js';
import { webMessage } from './web-message.js';

export type AuthorizationResponse =
  | { kind: 'redirect'; location: string }
  | { kind: 'html'; body: string; headers: Record<string, string> };

type Params = Record<string, string | undefined>;

function withParams(base: string, params: Params, separator: '?' | '#'): string {
  const url = new URL(base);
  const encoded = new URLSearchParams();
  if (separator === '?') for (const [k, v] of url.searchParams) encoded.append(k, v);
  for (const [k, v] of Object.entries(params)) if (v !== undefined) encoded.set(k, v);
  if (separator === '?') {
    url.search = encoded.toString();
    return url.toString();
  }
  url.hash = encoded.toString();
  return url.toString();
}

/** A CSP source for the redirect URI: its origin, or for a custom scheme (native apps) the scheme itself. */
export function formActionSource(redirectUri: string): string {
  const url = new URL(redirectUri);
  return url.origin === 'null' ? url.protocol : url.origin;
}

const autoSubmit = 'document.forms[0].submit();';
const autoSubmitHash = createHash('sha256').update(autoSubmit).digest('base64');
const liquid = new Liquid({ outputEscape: 'escape', strictVariables: false });
const formPostTemplate = liquid.parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Submit This Form</title></head>
<body><form method="post" action="{{ action }}">{% for field in fields %}
<input type="hidden" name="{{ field[0] }}" value="{{ field[1] }}">{% endfor %}
<noscript><button type="submit">Continue</button></noscript>
</form><script>${autoSubmit}</script></body></html>`);

export const responseModes: Record<
  ResponseMode,
  (redirectUri: string, params: Params, webOrigins: readonly string[]) => Promise<AuthorizationResponse>
> = {
  web_message: async (redirectUri, params, webOrigins) => webMessage(redirectUri, params, webOrigins),
  query: async (redirectUri, params) => ({ kind: 'redirect', location: withParams(redirectUri, params, '?') }),
  fragment: async (redirectUri, params) => ({ kind: 'redirect', location: withParams(redirectUri, params, '#') }),
  form_post: async (redirectUri, params) => ({
    kind: 'html',
    body: await liquid.render(formPostTemplate, {
      action: redirectUri,
      fields: Object.entries(params).filter(([, v]) => v !== undefined),
    }),
    // SPEC.md: the page's CSP allows exactly its auto-submit script, and posting to the client only.
    headers: {
      'content-security-policy': `default-src 'none'; script-src 'sha256-${autoSubmitHash}'; form-action ${formActionSource(redirectUri)}; frame-ancestors 'none'; base-uri 'none'`,
      'cache-control': 'no-store',
    },
  }),
};
