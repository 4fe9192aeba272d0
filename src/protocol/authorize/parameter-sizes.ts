// How long each /authorize parameter may be. A login transaction stores the request until the person signs
// in, and errors repeat some values back to the client, so none may be as long as a URL can carry. Auth0
// documents only that `state` is "not unlimited", a too long one failing with 414 (auth0.com/docs/secure/
// attack-protection/state-parameters), and the ext-* limits (ext-params.ts); the others follow
// the sizes of what they must match: an API identifier (600), a connection name (128), an e-mail (320).
// client_id and redirect_uri are not listed: they must equal a registered client and callback.
import { OAuthError } from '../errors.js';

export const parameterSizes: Readonly<Record<string, number>> = {
  // Room for an application's own encoded return URL beside its CSRF value, and still a short callback URL.
  state: 2048,
  nonce: 512,
  scope: 2048,
  audience: 600,
  connection: 128,
  realm: 128,
  login_ticket: 200,
  login_hint: 320,
  response_type: 64,
  response_mode: 64,
  prompt: 64,
  max_age: 64,
  screen_hint: 64,
  code_challenge: 64,
  code_challenge_method: 64,
};

/** The first parameter longer than it may be, if any. */
export function oversizedParameter(params: Readonly<Record<string, string>>): string | undefined {
  return Object.keys(parameterSizes).find((name) => (params[name]?.length ?? 0) > parameterSizes[name]);
}

export function tooLongDescription(name: string): string {
  return `Parameter too long: ${name} (at most ${parameterSizes[name]} characters)`;
}

/** RFC 6749 §4.1.2.1: an error response repeats state; one too long to repeat gets the error page instead. */
export function checkStateSize(state: string | undefined): void {
  if ((state?.length ?? 0) > parameterSizes.state) throw new OAuthError('invalid_request', tooLongDescription('state'));
}

/** Before any check that quotes a value back: the error never carries more than the limit. */
export function checkParameterSizes(params: Readonly<Record<string, string>>): void {
  const oversized = oversizedParameter(params);
  if (oversized) throw new OAuthError('invalid_request', tooLongDescription(oversized));
}
