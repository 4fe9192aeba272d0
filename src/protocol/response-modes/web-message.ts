// response_mode=web_message (AUTH0-WIRE.md "web_message"; draft-sakimura-oauth-wmrm): a page titled
// "Authorization Response" whose script posts {type: "authorization_response", response} to
// window.opener (loginWithPopup) or window.parent (silent authentication in an iframe), addressed to the
// redirect_uri's origin, never "*". Only the client's web_origins may frame it; no
// Cross-Origin-Opener-Policy, which would cut window.opener.
import { randomBytes } from 'node:crypto';
import { Liquid } from 'liquidjs';
import type { AuthorizationResponse } from './index.js';

/** JSON that is safe inside a <script> element: no "</script>", no HTML comment openers, no JS line breaks. */
function scriptJson(value: unknown): string {
  return JSON.stringify(value)
    .replaceAll('<', '\\u003c')
    .replaceAll('>', '\\u003e')
    .replaceAll('&', '\\u0026')
    .replaceAll('\u2028', '\\u2028')
    .replaceAll('\u2029', '\\u2029');
}

// A <script> element's text is not HTML: its values go in as script-safe JSON, not HTML-escaped.
const liquid = new Liquid({ outputEscape: 'escape', strictVariables: true });
liquid.registerFilter('script_json', scriptJson);
const page = liquid.parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Authorization Response</title></head>
<body><script nonce="{{ nonce }}">
(function (message, targetOrigin) {
  var target = window.opener || window.parent;
  target.postMessage(message, targetOrigin);
})({{ message | script_json | raw }}, {{ targetOrigin | script_json | raw }});
</script></body></html>`);

export function webMessage(redirectUri: string, params: Record<string, string | undefined>, webOrigins: readonly string[]): AuthorizationResponse {
  const targetOrigin = new URL(redirectUri).origin;
  const response = Object.fromEntries(Object.entries(params).filter(([, v]) => v !== undefined));
  const nonce = randomBytes(16).toString('base64');
  return {
    kind: 'html',
    body: liquid.renderSync(page, { nonce, targetOrigin, message: { type: 'authorization_response', response } }),
    headers: {
      'cache-control': 'no-cache, no-store',
      pragma: 'no-cache',
      'content-security-policy': `default-src 'none'; script-src 'nonce-${nonce}'; frame-ancestors ${webOrigins.join(' ') || "'none'"}; base-uri 'none'`,
    },
  };
}
