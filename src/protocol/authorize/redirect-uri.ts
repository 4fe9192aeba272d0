// Redirect URIs match a registered callback exactly (RFC 6749 §3.1.2.3, OAuth 2.0 Security BCP §4.1.3),
// except that a native app's loopback IP callback may use any port (RFC 8252 §7.3).
import type { Client } from '../../store/types.js';

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
