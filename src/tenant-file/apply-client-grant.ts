import { randomId } from '../crypto/random.js';
import type { ClientGrant, Stores } from '../store/types.js';
import { type DeclaredClientGrant, TenantFileError } from './parse.js';

/**
 * One client grant, created or given the declared scopes, keyed by client and audience: what the tenant file
 * and /api/v2/client-grants both write through. The client and the API must exist, and every scope be one
 * the API defines (Auth0 "Create client grant": scopes are permissions of the API).
 */
export async function applyClientGrant(tx: Stores, declared: DeclaredClientGrant, where: string): Promise<ClientGrant> {
  if (!(await tx.clients.get(declared.client_id)))
    throw new TenantFileError(`${where}: client_id "${declared.client_id}" is not a client`);
  const api = await tx.resourceServers.getByIdentifier(declared.audience);
  if (!api) throw new TenantFileError(`${where}: audience "${declared.audience}" is not an API (resource server)`);
  const unknown = declared.scope.filter((s) => !api.scopes.some((x) => x.value === s));
  if (unknown.length)
    throw new TenantFileError(`${where}: scope ${unknown.join(', ')} is not defined by ${declared.audience}`);
  const existing = await tx.clientGrants.find(declared.client_id, declared.audience);
  if (!existing) {
    const grant = { id: randomId('cgr_'), ...declared };
    await tx.clientGrants.insert(grant);
    return grant;
  }
  if (existing.scope.join(' ') !== declared.scope.join(' '))
    await tx.clientGrants.update(existing.id, { scope: declared.scope });
  return { ...existing, scope: declared.scope };
}
