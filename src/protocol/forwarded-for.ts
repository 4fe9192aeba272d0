// The end user's IP address at /oauth/token. A backend that signs its users in with the password grant calls
// from its own address, which attack protection would then count for every user at once; it names the user's
// address in the auth0-forwarded-for header instead (Auth0 docs: "Avoid Common Issues with Resource Owner
// Password Flow and Attack Protection"). Only a client that authenticated (a secret or private_key_jwt) and
// is marked is_token_endpoint_ip_header_trusted is believed. From any other client the header is ignored, as
// Auth0 does for applications without "Trust Token Endpoint IP Header": anyone could otherwise send a fresh
// address with each guess and never be counted.
import { isIP } from 'node:net';
import type { Client, TokenEndpointAuthMethod } from '../store/types.js';
import { OAuthError } from './errors.js';

export const FORWARDED_FOR_HEADER = 'auth0-forwarded-for';

/**
 * The address attack protection counts: `forwarded` (the header's value) when the client may send it, else
 * `socketIp`. A trusted client's header must hold one IP address.
 */
export function endUserIp(
  socketIp: string,
  forwarded: string | string[] | undefined,
  client: Client,
  method: TokenEndpointAuthMethod,
): string {
  if (forwarded === undefined || method === 'none' || !client.is_token_endpoint_ip_header_trusted) return socketIp;
  const address = typeof forwarded === 'string' ? forwarded.trim() : '';
  if (!isIP(address))
    throw new OAuthError('invalid_request', `The ${FORWARDED_FOR_HEADER} header must be one IP address`);
  return address;
}
