// Redirect URIs match a registered callback exactly (RFC 6749 §3.1.2.3, OAuth 2.0 Security BCP §4.1.3),
// except that a native app's loopback IP callback may use any port (RFC 8252 §7.3). The client and its
// redirect_uri are checked before anything else: while either is wrong nothing may be redirected.
import type { Client, Stores } from '../../store/types.js';
import { OAuthError } from '../errors.js';

const loopbackHosts = new Set(['127.0.0.1', '[::1]']);

function loopbackMatch(registered: string, requested: string): boolean {
  let a: URL;
  let b: URL;
  try {
    a = new URL(registered);
    b = new URL(requested);
  } catch {
    return false;
  }
  return (
    a.protocol === 'http:' &&
    b.protocol === 'http:' &&
    loopbackHosts.has(a.hostname) &&
    a.hostname === b.hostname &&
    a.pathname === b.pathname &&
    a.search === b.search &&
    !b.hash &&
    // The URL parser normalises; the raw strings must still agree apart from the port.
    requested.replace(/^http:\/\/[^/]+/, '') === registered.replace(/^http:\/\/[^/]+/, '')
  );
}

export function isRegisteredRedirectUri(client: Client, redirectUri: string): boolean {
  if (client.callbacks.includes(redirectUri)) return true;
  return client.app_type === 'native' && client.callbacks.some((registered) => loopbackMatch(registered, redirectUri));
}

/** The client and the redirect_uri it registered; an OAuthError when either is missing, repeated or unknown. */
export async function checkClientAndRedirectUri(
  raw: Readonly<Record<string, string | string[] | undefined>>,
  clients: Stores['clients'],
): Promise<{ client: Client; redirect_uri: string }> {
  const single = (name: string) => {
    const value = raw[name];
    if (Array.isArray(value)) throw new OAuthError('invalid_request', `Parameter sent more than once: ${name}`);
    return value || undefined;
  };
  const clientId = single('client_id');
  if (!clientId) throw new OAuthError('invalid_request', 'Missing required parameter: client_id');
  const client = await clients.get(clientId);
  if (!client) throw new OAuthError('invalid_request', `Unknown client: ${clientId}`);
  const redirectUri = single('redirect_uri');
  if (!redirectUri) throw new OAuthError('invalid_request', 'Missing required parameter: redirect_uri');
  if (!isRegisteredRedirectUri(client, redirectUri)) {
    throw new OAuthError(
      'invalid_request',
      `The redirect_uri "${redirectUri}" is not in the list of allowed callback URLs of the application`,
    );
  }
  return { client, redirect_uri: redirectUri };
}
