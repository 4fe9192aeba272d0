// response_type (RFC 6749 §3.1.1, OIDC Core §3, Multiple Response Type Encoding Practices): a known type, a
// grant the client may use, and for an ID token from /authorize the openid scope and a nonce.
import type { Client } from '../../store/types.js';
import { OAuthError } from '../errors.js';

/** OIDC Core §3 and Multiple Response Type Encoding Practices: every response_type, its words in this order. */
export const responseTypeNames = [
  'code',
  'token',
  'id_token',
  'id_token token',
  'code id_token',
  'code token',
  'code id_token token',
] as const;

/** A response type's words in any order: `id_token code` is `code id_token`. */
export function normaliseResponseType(value: string): string {
  const order = ['code', 'id_token', 'token'];
  const words = value.split(' ').filter(Boolean);
  return [...words].sort((a, b) => order.indexOf(a) - order.indexOf(b)).join(' ');
}

const words = (responseType: string | undefined) => new Set(responseType?.split(' '));

/** The type returns a token from /authorize itself (implicit or hybrid), not only a code. */
export function returnsTokens(responseType: string | undefined): boolean {
  const parts = words(responseType);
  return parts.has('token') || parts.has('id_token');
}

export function returnsCode(responseType: string | undefined): boolean {
  return words(responseType).has('code');
}

/** The normalised response type, when it is one of ours. `sent` is the parameter as sent, quoted in the error. */
export function checkResponseType(sent: string | undefined, responseType: string | undefined): string {
  if (!responseType) throw new OAuthError('invalid_request', 'Missing required parameter: response_type');
  if (!(responseTypeNames as readonly string[]).includes(responseType))
    throw new OAuthError('unsupported_response_type', `Unsupported response type: ${sent}`);
  return responseType;
}

/** A code needs the authorization_code grant, a token from /authorize the implicit grant. */
export function checkResponseTypeAllowed(client: Client, responseType: string): void {
  if (returnsCode(responseType) && !client.grant_types.includes('authorization_code')) {
    throw new OAuthError('unauthorized_client', "Grant type 'authorization_code' not allowed for the client.");
  }
  if (returnsTokens(responseType) && !client.grant_types.includes('implicit')) {
    throw new OAuthError('unauthorized_client', "Grant type 'implicit' not allowed for the client.");
  }
}

/** OIDC Core §3.2.2.1, §3.3.2.11: an ID token from /authorize needs openid and a nonce. */
export function checkIdTokenRequirements(
  responseType: string,
  scope: readonly string[],
  nonce: string | undefined,
): void {
  if (!words(responseType).has('id_token')) return;
  if (!scope.includes('openid'))
    throw new OAuthError('invalid_request', `response_type=${responseType} requires the openid scope`);
  if (!nonce) throw new OAuthError('invalid_request', 'Missing required parameter: nonce');
}
