// What the roles and user routes share: the {permissions:[…]} body, the check that each permission is a scope
// of an existing API (the tenant file's own check), and a permission as Auth0 lists it, with the API's name
// and the scope's description (Auth0 Management API v2, "Get permissions granted by role").
import type { Permission, ResourceServer, Stores } from '../../store/types.js';
import { checkPermissions } from '../../tenant-file/apply.js';
import { TenantFileError } from '../../tenant-file/parse.js';
import { roleSchema } from '../../tenant-file/schemas.js';
import { ManagementError } from './errors.js';

/** Requests name at most this many permissions, users or roles at once. */
export const MAX_ITEMS = 1000;

export const permissionsBody = {
  type: 'object',
  additionalProperties: false,
  required: ['permissions'],
  properties: { permissions: { ...roleSchema.properties.permissions, minItems: 1, maxItems: MAX_ITEMS } },
} as const;

export const idList = (name: string) =>
  ({
    type: 'object',
    additionalProperties: false,
    required: [name],
    properties: {
      [name]: {
        type: 'array',
        minItems: 1,
        maxItems: MAX_ITEMS,
        items: { type: 'string', minLength: 1, maxLength: 512 },
      },
    },
  }) as const;

export const idParams = {
  type: 'object',
  required: ['id'],
  properties: { id: { type: 'string', minLength: 1, maxLength: 512 } },
} as const;

/** 400 unless every permission is a scope of an existing API. */
export async function validPermissions(tx: Stores, permissions: readonly Permission[]): Promise<Permission[]> {
  try {
    await checkPermissions(tx, permissions, 'permissions');
  } catch (error) {
    if (error instanceof TenantFileError)
      throw new ManagementError(400, `Payload validation error: ${error.message}.`, 'invalid_body');
    throw error;
  }
  return permissions.map((p) => ({
    resource_server_identifier: p.resource_server_identifier,
    permission_name: p.permission_name,
  }));
}

/** Permissions with their API's name and the scope's description, each API read once. */
export async function describePermissions(stores: Pick<Stores, 'resourceServers'>, permissions: readonly Permission[]) {
  const apis = new Map<string, Promise<ResourceServer | undefined>>();
  return Promise.all(
    permissions.map(async (p) => {
      const id = p.resource_server_identifier;
      if (!apis.has(id)) apis.set(id, stores.resourceServers.getByIdentifier(id));
      const api = await apis.get(id);
      const description = api?.scopes.find((s) => s.value === p.permission_name)?.description;
      return {
        resource_server_identifier: id,
        permission_name: p.permission_name,
        resource_server_name: api?.name ?? id,
        description: description ?? '',
      };
    }),
  );
}
