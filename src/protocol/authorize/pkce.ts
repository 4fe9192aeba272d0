// PKCE at /authorize (RFC 7636 §4.3, OAuth 2.0 Security BCP §2.1.1): S256 only; public clients must use it.
import type { Client } from '../../store/types.js';
import { OAuthError } from '../errors.js';
import { returnsCode } from './response-type.js';

export interface CodeChallenge {
  code_challenge?: string;
  code_challenge_method?: 'S256';
}

export function checkCodeChallenge(
  params: Readonly<Record<string, string>>,
  client: Client,
  responseType: string,
): CodeChallenge {
  const challenge = params.code_challenge;
  const method = params.code_challenge_method;
  if (challenge) {
    if (!method || method === 'plain')
      throw new OAuthError('invalid_request', 'code_challenge_method must be S256 (plain is not allowed)');
    if (method !== 'S256') throw new OAuthError('invalid_request', `Unsupported code_challenge_method: ${method}`);
    if (!/^[A-Za-z0-9_-]{43}$/.test(challenge))
      throw new OAuthError('invalid_request', 'code_challenge must be a base64url SHA-256 hash (43 characters)');
    return { code_challenge: challenge, code_challenge_method: 'S256' };
  }
  if (method) throw new OAuthError('invalid_request', 'Missing required parameter: code_challenge');
  if (client.token_endpoint_auth_method === 'none' && returnsCode(responseType)) {
    throw new OAuthError(
      'invalid_request',
      'Missing required parameter: code_challenge (PKCE is required for public clients)',
    );
  }
  return {};
}
