// audience (Auth0 docs: "Get Access Tokens", /docs/secure/tokens/access-tokens/get-access-tokens): the API
// the access token is for, the tenant's default_audience when none is sent; it must be a registered API.
import type { Stores } from '../../store/types.js';
import { OAuthError } from '../errors.js';

export async function resolveAudience(
  audience: string | undefined,
  stores: Pick<Stores, 'resourceServers' | 'tenant'>,
): Promise<string | undefined> {
  const resolved = audience ?? (await stores.tenant.get()).default_audience;
  if (resolved && !(await stores.resourceServers.getByIdentifier(resolved)))
    throw new OAuthError('access_denied', `Service not found: ${resolved}`);
  return resolved;
}
