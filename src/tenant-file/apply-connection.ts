import { randomId } from '../crypto/random.js';
import type { Connection, Stores } from '../store/types.js';
import { changedFields } from './canonical.js';
import { splitInert } from './inert.js';
import { type DeclaredConnection, TenantFileError } from './parse.js';
import { connectionInertFields } from './schemas.js';

/**
 * One connection, created or patched by name with the declared fields: what the tenant file and
 * /api/v2/connections both write through. Its strategy never changes, and every enabled client must exist.
 */
export async function applyConnection(tx: Stores, declared: DeclaredConnection, where: string): Promise<Connection> {
  for (const clientId of declared.enabled_clients ?? []) {
    if (!(await tx.clients.get(clientId)))
      throw new TenantFileError(`${where}: enabled_clients has "${clientId}", which is not a client`);
  }
  const existing = await tx.connections.getByName(declared.name);
  const { fields, inert } = splitInert(declared, connectionInertFields, existing?.inert);
  const wanted: Partial<Connection> = inert ? { ...fields, inert } : fields;
  if (!existing) {
    const created: Connection = {
      id: randomId('con_'),
      options: {},
      enabled_clients: [],
      ...wanted,
      name: declared.name,
      strategy: declared.strategy,
    };
    await tx.connections.insert(created);
    return created;
  }
  if (existing.strategy !== declared.strategy)
    throw new TenantFileError(`${where}: strategy cannot change from ${existing.strategy}`);
  const patch = changedFields(existing, wanted);
  if (Object.keys(patch).length) await tx.connections.update(existing.id, patch);
  return { ...existing, ...patch };
}
