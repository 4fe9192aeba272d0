import { randomId } from '../crypto/random.js';
import type { ResourceServer, Stores } from '../store/types.js';
import { changedFields } from './canonical.js';
import { newResourceServer } from './defaults.js';
import { splitInert } from './inert.js';
import { type DeclaredResourceServer, TenantFileError } from './parse.js';
import { resourceServerInertFields } from './schemas.js';

/**
 * One API (resource server), created or patched by identifier with the declared fields: what the tenant file
 * and /api/v2/resource-servers both write through. The Management API is Gatehouse's own.
 */
export async function applyResourceServer(
  tx: Stores,
  declared: DeclaredResourceServer,
  where: string,
  managementAudience: string,
): Promise<ResourceServer> {
  if (declared.identifier === managementAudience)
    throw new TenantFileError(`${where}: the Management API is built in and cannot be declared`);
  const existing = await tx.resourceServers.getByIdentifier(declared.identifier);
  const { fields, inert } = splitInert(declared, resourceServerInertFields, existing?.inert);
  const wanted: Partial<ResourceServer> = inert ? { ...fields, inert } : fields;
  if (!existing) {
    const created = { ...newResourceServer(randomId('', 24).toLowerCase(), declared.identifier), ...wanted };
    await tx.resourceServers.insert(created);
    return created;
  }
  const patch = changedFields(existing, wanted);
  if (Object.keys(patch).length) await tx.resourceServers.update(existing.id, patch);
  return { ...existing, ...patch };
}
