// The Management API's scopes, with Auth0's names. The operator's client is granted all of them.
const actions = (resource: string, verbs: readonly string[]) => verbs.map((verb) => `${verb}:${resource}`);
const crud = ['read', 'create', 'update', 'delete'] as const;

export const managementScopes: readonly string[] = [
  ...actions('clients', crud),
  ...actions('client_keys', crud),
  ...actions('client_credentials', crud),
  'read:client_summary',
  ...actions('client_grants', crud),
  ...actions('resource_servers', crud),
  ...actions('connections', crud),
  ...actions('users', crud),
  ...actions('users_app_metadata', crud),
  'read:user_idp_tokens',
  ...actions('roles', crud),
  ...actions('role_members', ['read', 'create', 'delete']),
  ...actions('grants', ['read', 'delete']),
  ...actions('signing_keys', ['read', 'create', 'update']),
  ...actions('branding', ['read', 'update', 'delete']),
  ...actions('email_templates', ['read', 'create', 'update']),
  ...actions('tenant_settings', ['read', 'update']),
  'read:logs',
  'read:logs_users',
  'read:stats',
  'create:user_tickets',
];
