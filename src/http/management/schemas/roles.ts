// Roles, permissions and role members as Auth0 answers them (the SDK's Role, PermissionsResponsePayload and
// RoleUser, all closed). A user's permissions also name their `sources` (Auth0 "Get a user's permissions").
import { closed, string } from './common.js';

export const role = closed({ id: string, name: string, description: string, type: string, owner_id: string });

const permissionFields = {
  resource_server_identifier: string,
  permission_name: string,
  resource_server_name: string,
  description: string,
};
export const permission = closed(permissionFields);

const source = closed({ source_id: string, source_name: string, source_type: string });
export const userPermission = closed({ ...permissionFields, sources: { type: 'array', items: source } });

export const roleMember = closed({ user_id: string, picture: string, name: string, email: string });
