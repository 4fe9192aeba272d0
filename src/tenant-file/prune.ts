// `gatehouse tenant apply --prune`: deletes what the file does not declare, in the caller's transaction. Never
// the operator's client (GATEHOUSE_ADMIN_CLIENT_ID) or its grants, never the built-in Management API; signing
// keys are not part of a tenant file and are never touched. Users only when the file has a `users` list.
import type { Stores } from '../store/types.js';
import { userKey } from './apply.js';
import { allClientGrants, allClients, allDatabaseUsers, allResourceServers, allRoles } from './list-all.js';
import { applyTenant, type TenantPatch } from './apply-tenant.js';
import { type TenantFile, TenantFileError } from './parse.js';

export interface Protected {
  /** The operator's client, from the configuration; undefined when none is configured. */
  operatorClientId?: string;
}

export async function pruneTenant(tx: Stores, file: TenantFile, keep: Protected): Promise<void> {
  const declared = <T>(items: readonly T[] | undefined, key: (item: T) => string) => new Set((items ?? []).map(key));

  const roles = declared(file.roles, (r) => r.name);
  for (const role of await allRoles(tx)) if (!roles.has(role.name)) await tx.roles.delete(role.id);

  const grants = declared(file.client_grants, (g) => `${g.client_id} ${g.audience}`);
  for (const grant of await allClientGrants(tx)) {
    if (grant.client_id !== keep.operatorClientId && !grants.has(`${grant.client_id} ${grant.audience}`))
      await tx.clientGrants.delete(grant.id);
  }

  if (file.users !== undefined) {
    const users = declared(file.users, (u) => userKey(u.connection, u.email));
    for (const user of await allDatabaseUsers(tx))
      if (!users.has(userKey(user.connection, user.email!))) await tx.users.delete(user.user_id);
  }

  // A connection goes with its users (Auth0 "Delete a connection").
  const connections = declared(file.connections, (c) => c.name);
  for (const connection of await tx.connections.list())
    if (!connections.has(connection.name)) await tx.connections.delete(connection.id);

  const clients = declared(file.clients, (c) => c.client_id);
  for (const client of await allClients(tx)) {
    if (client.client_id !== keep.operatorClientId && !clients.has(client.client_id))
      await tx.clients.delete(client.client_id);
  }

  const apis = declared(file.resource_servers, (r) => r.identifier);
  for (const api of await allResourceServers(tx))
    if (!api.is_system && !apis.has(api.identifier)) await tx.resourceServers.delete(api.id);

  // An e-mail template not declared is back to its default; so is the login page without a declared template.
  const templates = declared(file.email_templates, (t) => t.template);
  for (const template of await tx.emailTemplates.list())
    if (!templates.has(template.template)) await tx.emailTemplates.delete(template.template);
  if (!file.branding?.templates?.length && (await tx.branding.getTemplate()) !== undefined)
    await tx.branding.deleteTemplate();
  await dropDanglingDefaults(tx, file);
}

/**
 * A default the tenant settings name must still exist: one the file does not set goes with its object; one the
 * file sets to an object it does not declare is an error (the object was just deleted).
 */
async function dropDanglingDefaults(tx: Stores, file: TenantFile): Promise<void> {
  const settings = await tx.tenant.get();
  const patch: TenantPatch = {};
  const audience = settings.default_audience;
  if (audience && !(await tx.resourceServers.getByIdentifier(audience))) patch.default_audience = null;
  const directory = settings.default_directory;
  if (directory && !(await tx.connections.getByName(directory))) patch.default_directory = null;
  for (const [field, kind] of [
    ['default_audience', 'resource_servers'],
    ['default_directory', 'connections'],
  ] as const) {
    if (patch[field] === null && file.tenant?.[field] !== undefined)
      throw new TenantFileError(
        `tenant: ${field} "${settings[field]}" is not declared in ${kind}, and --prune deletes it`,
      );
  }
  if (Object.keys(patch).length) await applyTenant(tx, patch);
}
