// The /authorize parameters as single strings. RFC 6749 §3.1: a parameter must not be sent more than once.
import { OAuthError } from '../errors.js';

/** The parameters /authorize reads; one sent twice is refused. */
const known = [
  'client_id',
  'redirect_uri',
  'response_type',
  'response_mode',
  'scope',
  'state',
  'nonce',
  'audience',
  'code_challenge',
  'code_challenge_method',
  'prompt',
  'max_age',
  'login_hint',
  'screen_hint',
  'connection',
  'id_token_hint',
  'realm',
  'login_ticket',
];

/** Every parameter sent once with a value; empty and repeated ones are left out. */
export function singleValues(raw: Readonly<Record<string, string | string[] | undefined>>): Record<string, string> {
  const params: Record<string, string> = {};
  for (const [name, value] of Object.entries(raw)) if (typeof value === 'string' && value !== '') params[name] = value;
  return params;
}

/** Fails on the first known parameter sent more than once. */
export function checkRepeatedParameters(raw: Readonly<Record<string, string | string[] | undefined>>): void {
  const repeated = known.find((name) => Array.isArray(raw[name]));
  if (repeated) throw new OAuthError('invalid_request', `Parameter sent more than once: ${repeated}`);
}
