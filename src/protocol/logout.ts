// Where a logout may send the browser (Auth0 docs: "Redirect Users with Alternative Logout",
// /docs/authenticate/login/logout/redirect-users-after-logout): one of the client's allowed logout URLs (the tenant's
// without a client_id), scheme and host compared case-insensitively (RFC 3986 §6.2.2.1), the rest exactly.
import type { Client } from '../store/types.js';

function comparable(url: string): string | undefined {
  try {
    const parsed = new URL(url);
    // The URL parser lower-cases scheme and host; path, query and fragment keep their case and must match.
    return `${parsed.protocol}//${parsed.host}${parsed.pathname}${parsed.search}${parsed.hash}`;
  } catch {
    return undefined;
  }
}

export function isAllowedLogoutUrl(allowed: readonly string[], url: string): boolean {
  const wanted = comparable(url);
  return wanted !== undefined && allowed.some((candidate) => comparable(candidate) === wanted);
}

export function logoutDestination(
  client: Client | undefined,
  tenantAllowed: readonly string[],
  returnTo: string | undefined,
) {
  const allowed = client ? client.allowed_logout_urls : tenantAllowed;
  if (returnTo === undefined) return { location: client?.allowed_logout_urls[0] };
  return isAllowedLogoutUrl(allowed, returnTo) ? { location: returnTo } : { refused: true as const };
}
