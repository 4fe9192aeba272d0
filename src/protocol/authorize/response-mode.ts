// response_mode (OAuth 2.0 Multiple Response Type Encoding Practices, Form Post Response Mode): how the answer,
// an error included, travels back to the redirect URI.
import type { Client } from '../../store/types.js';
import { OAuthError } from '../errors.js';
import { isResponseMode, type ResponseMode } from '../response-modes/index.js';
import { returnsTokens } from './response-type.js';

/**
 * Only web_origins may receive a web_message answer, errors included (Auth0 docs: "Application Settings",
 * /docs/get-started/applications/application-settings, "Allowed Web Origins"). Checked before anything is
 * redirected: a failure here is an error page.
 */
export function checkWebMessageOrigin(mode: string | undefined, redirectUri: string, client: Client): void {
  if (mode === 'web_message' && !client.web_origins.includes(new URL(redirectUri).origin)) {
    throw new OAuthError(
      'invalid_request',
      `The origin of "${redirectUri}" is not in the list of allowed web origins of the application`,
    );
  }
}

/** The mode the answer (or an error) goes back in: the one asked for when it is valid, else the default. */
export function resolveResponseMode(mode: string | undefined, responseType: string | undefined): ResponseMode {
  // Multiple Response Type Encoding Practices §2.1, §5: fragment by default only for types that return a
  // token from /authorize; anything else (code, an unknown type) gets the query a server-side callback reads.
  const tokens = returnsTokens(responseType);
  const defaultMode: ResponseMode = tokens ? 'fragment' : 'query';
  // Tokens never travel in a query (Multiple Response Type Encoding Practices §5): an error for such a
  // request goes in the fragment too.
  return mode && isResponseMode(mode) && !(mode === 'query' && tokens) ? mode : defaultMode;
}

/** A response_mode we know, and never query for a type that returns tokens. */
export function checkResponseMode(mode: string | undefined, responseType: string): void {
  if (mode && !isResponseMode(mode)) throw new OAuthError('invalid_request', `Unsupported response_mode: ${mode}`);
  if (mode === 'query' && returnsTokens(responseType)) {
    throw new OAuthError(
      'invalid_request',
      `response_mode=query is not allowed for response_type=${responseType}: tokens never travel in a query`,
    );
  }
}
