// Applies a tenant file in one transaction: upserts the declared fields of each declared object and
// leaves everything else alone, so applying the same file twice writes nothing the second time.
import type { SecretBox } from '../crypto/secret-box.js';
import { randomId } from '../crypto/random.js';
import type { Client, Connection, Permission, Stores, User } from '../store/types.js';
import { createEmailLiquid } from '../delivery/templates.js';
import { applyBranding } from './apply-branding.js';
import { applyClientGrant } from './apply-client-grant.js';
import { applyConnection } from './apply-connection.js';
import { applyTenant, type TenantPatch } from './apply-tenant.js';
import { applyEmailTemplate } from './apply-email-template.js';
import { applyResourceServer } from './apply-resource-server.js';
import { changedFields } from './canonical.js';
import { defaultAuthMethod, defaultRefreshToken, newClient } from './defaults.js';
import { splitInert } from './inert.js';
import {
  type DeclaredClient,
  type DeclaredRole,
  type DeclaredUser,
  objectLabel,
  type TenantFile,
  TenantFileError,
} from './parse.js';
import { clientInertFields, tenantInertFields } from './schemas.js';

export interface ApplyDeps {
  box: SecretBox;
  managementAudience: string;
  /** argon2id hashes of the declared plain-text passwords, computed before the transaction. */
  passwordHashes: Map<string, string>;
  now: () => number;
  /** Why a Universal Login page template would not render, or undefined (the login pages' own check). */
  checkPageTemplate: (template: string) => string | undefined;
}

export const userKey = (connection: string, email: string) => `${connection}\n${email.toLowerCase()}`;

function label(file: TenantFile, kind: keyof TenantFile, index: number) {
  return objectLabel(file as Record<string, unknown>, kind, index);
}

/** One client, created or patched with the declared fields: also what /api/v2/clients writes through. */
export async function applyClient(tx: Stores, declared: DeclaredClient, where: string, box: SecretBox): Promise<void> {
  const { client_secret, refresh_token, jwt_configuration, ...declaredFields } = declared;
  const existing = await tx.clients.get(declared.client_id);
  const { fields, inert } = splitInert(declaredFields, clientInertFields, existing?.inert);
  const base =
    existing ??
    newClient(
      declared.client_id,
      declared.app_type ?? 'regular_web',
      declared.token_endpoint_auth_method ?? defaultAuthMethod(declared.app_type ?? 'regular_web'),
    );
  const wanted: Partial<Client> = { ...fields };
  if (inert) wanted.inert = inert;
  if (refresh_token) {
    const merged = { ...(existing?.refresh_token ?? defaultRefreshToken(base.app_type)), ...refresh_token };
    // Auth0: an `expiring` token has a lifetime. Unless the file says otherwise, the infinite_* flags
    // follow expiration_type, not the app type's default (regular_web: non-expiring, infinite).
    if (refresh_token.expiration_type) {
      merged.infinite_token_lifetime =
        refresh_token.infinite_token_lifetime ?? refresh_token.expiration_type === 'non-expiring';
      merged.infinite_idle_token_lifetime =
        refresh_token.infinite_idle_token_lifetime ?? refresh_token.expiration_type === 'non-expiring';
    }
    wanted.refresh_token = merged;
  }
  if (jwt_configuration) wanted.jwt_configuration = { ...base.jwt_configuration, ...jwt_configuration };
  const method = wanted.token_endpoint_auth_method ?? base.token_endpoint_auth_method;
  const grantTypes = wanted.grant_types ?? base.grant_types;
  if (method === 'none' && grantTypes.includes('client_credentials')) {
    throw new TenantFileError(
      `${where}: grant_types cannot include client_credentials for a public client (token_endpoint_auth_method none)`,
    );
  }
  // Auth0 docs ("Avoid Common Issues with Resource Owner Password Flow and Attack Protection"): only an
  // application that authenticates may be trusted to report its users' IP addresses.
  if (method === 'none' && (wanted.is_token_endpoint_ip_header_trusted ?? base.is_token_endpoint_ip_header_trusted)) {
    throw new TenantFileError(
      `${where}: is_token_endpoint_ip_header_trusted needs a client that authenticates (token_endpoint_auth_method is none)`,
    );
  }
  const methods = wanted.client_authentication_methods ?? base.client_authentication_methods;
  if (method === 'private_key_jwt' && !methods?.private_key_jwt?.credentials.length) {
    throw new TenantFileError(
      `${where}: private_key_jwt needs client_authentication_methods.private_key_jwt.credentials`,
    );
  }
  if (client_secret !== undefined) {
    const current = base.sealed_client_secret ? box.open(base.sealed_client_secret) : undefined;
    if (current !== client_secret) wanted.sealed_client_secret = box.seal(client_secret);
  } else if (method === 'none' || method === 'private_key_jwt') {
    if (base.sealed_client_secret) wanted.sealed_client_secret = null;
  } else if (!base.sealed_client_secret) {
    throw new TenantFileError(`${where}: client_secret is required for token_endpoint_auth_method ${method}`);
  }

  if (!existing) {
    await tx.clients.insert({ ...base, ...wanted });
    return;
  }
  const patch = changedFields(existing, wanted);
  if (Object.keys(patch).length) await tx.clients.update(existing.client_id, patch);
}

/**
 * Applies the file inside the caller's transaction `tx`, one kind of object after the other, in the order
 * their references need: APIs and clients before the client grants and connections that name them,
 * connections before their users, users and APIs before the roles, then the tenant settings, the branding and
 * the e-mail templates.
 */
export async function applyTenantFile(tx: Stores, file: TenantFile, deps: ApplyDeps): Promise<void> {
  await applyResourceServers(tx, file, deps.managementAudience);
  await applyClients(tx, file, deps.box);
  await applyClientGrants(tx, file);
  await applyConnections(tx, file);
  await applyUsers(tx, file, deps);
  await applyRoles(tx, file);
  await applyTenantSettings(tx, file);
  if (file.branding) await applyBranding(tx, file.branding, deps.checkPageTemplate);
  if (file.email_templates?.length) {
    const liquid = createEmailLiquid();
    for (const [i, declared] of file.email_templates.entries())
      await applyEmailTemplate(tx, declared, label(file, 'email_templates', i), liquid);
  }
}

async function applyResourceServers(tx: Stores, file: TenantFile, managementAudience: string): Promise<void> {
  for (const [i, declared] of (file.resource_servers ?? []).entries())
    await applyResourceServer(tx, declared, label(file, 'resource_servers', i), managementAudience);
}

async function applyClients(tx: Stores, file: TenantFile, box: SecretBox): Promise<void> {
  for (const [i, declared] of (file.clients ?? []).entries())
    await applyClient(tx, declared, label(file, 'clients', i), box);
}

async function applyClientGrants(tx: Stores, file: TenantFile): Promise<void> {
  for (const [i, declared] of (file.client_grants ?? []).entries())
    await applyClientGrant(tx, declared, label(file, 'client_grants', i));
}

async function applyConnections(tx: Stores, file: TenantFile): Promise<void> {
  for (const [i, declared] of (file.connections ?? []).entries())
    await applyConnection(tx, declared, label(file, 'connections', i));
}

/** The database connection a user is declared in, or why there is none (also for POST /api/v2/users). */
export async function databaseConnection(tx: Stores, name: string, where: string): Promise<Connection> {
  const connection = await tx.connections.getByName(name);
  if (!connection) throw new TenantFileError(`${where}: connection "${name}" does not exist`);
  if (connection.strategy !== 'auth0')
    throw new TenantFileError(`${where}: connection "${name}" is not a database connection`);
  return connection;
}

/** A new user of a database connection from its declared fields: also what POST /api/v2/users creates. */
export function newUser(
  declared: Omit<DeclaredUser, 'password' | 'password_hash'>,
  passwordHash: string | null,
  at: number,
): User {
  const { user_id, ...profile } = declared;
  return {
    email_verified: false,
    username: null,
    phone_number: null,
    phone_verified: false,
    name: null,
    given_name: null,
    family_name: null,
    nickname: null,
    picture: null,
    blocked: false,
    user_metadata: {},
    app_metadata: {},
    ...profile,
    user_id: `auth0|${user_id ?? randomId('', 24).toLowerCase()}`,
    email: declared.email.toLowerCase(),
    password_hash: passwordHash,
    created_at: at,
    updated_at: at,
  };
}

async function applyUsers(tx: Stores, file: TenantFile, deps: ApplyDeps): Promise<void> {
  for (const [i, declared] of (file.users ?? []).entries()) {
    const where = label(file, 'users', i);
    await databaseConnection(tx, declared.connection, where);
    const { password, password_hash, ...fields } = declared;
    const existing = await tx.users.findByEmail(declared.connection, declared.email);
    if (!existing) {
      // docs/tenant-file.md "The rules": a declared password is set only when the user is created.
      const hash =
        password_hash ??
        (password === undefined ? null : deps.passwordHashes.get(userKey(declared.connection, declared.email))!);
      await tx.users.insert(newUser(fields, hash, deps.now()));
    } else {
      const { user_id, ...profile } = fields;
      const patch = changedFields(existing, { ...profile, email: declared.email.toLowerCase() });
      if (Object.keys(patch).length) await tx.users.update(existing.user_id, patch);
    }
  }
}

async function applyRoles(tx: Stores, file: TenantFile): Promise<void> {
  for (const [i, declared] of (file.roles ?? []).entries()) {
    const where = label(file, 'roles', i);
    let role = await tx.roles.getByName(declared.name);
    if (!role) {
      role = { id: randomId('rol_'), name: declared.name, description: declared.description ?? '' };
      await tx.roles.insert(role);
    } else if (declared.description !== undefined && declared.description !== role.description) {
      await tx.roles.update(role.id, { description: declared.description });
    }
    if (declared.permissions) await applyRolePermissions(tx, role.id, declared.permissions, where);
    if (declared.users) await applyRoleMembers(tx, file, role.id, declared.users, where);
  }
}

/**
 * Each permission must be a scope of an existing API (Auth0 RBAC: permissions are an API's scopes): the check
 * for roles in the tenant file and for roles and users in /api/v2.
 */
export async function checkPermissions(tx: Stores, permissions: readonly Permission[], where: string): Promise<void> {
  for (const p of permissions) {
    const api = await tx.resourceServers.getByIdentifier(p.resource_server_identifier);
    if (!api)
      throw new TenantFileError(
        `${where}: permissions names API "${p.resource_server_identifier}", which does not exist`,
      );
    if (!api.scopes.some((s) => s.value === p.permission_name)) {
      throw new TenantFileError(
        `${where}: permission "${p.permission_name}" is not a scope of ${p.resource_server_identifier}`,
      );
    }
  }
}

/** A role's permissions, each a scope of an existing API: replaced when the sorted, de-duplicated list differs. */
async function applyRolePermissions(
  tx: Stores,
  roleId: string,
  permissions: NonNullable<DeclaredRole['permissions']>,
  where: string,
): Promise<void> {
  await checkPermissions(tx, permissions, where);
  const wanted = [...permissions].sort((a, b) =>
    `${a.resource_server_identifier} ${a.permission_name}`.localeCompare(
      `${b.resource_server_identifier} ${b.permission_name}`,
    ),
  );
  const unique = wanted.filter(
    (p, j) =>
      j === 0 ||
      `${p.resource_server_identifier} ${p.permission_name}` !==
        `${wanted[j - 1].resource_server_identifier} ${wanted[j - 1].permission_name}`,
  );
  const current = await tx.roles.permissions(roleId);
  if (Object.keys(changedFields({ p: current }, { p: unique })).length) await tx.roles.setPermissions(roleId, unique);
}

/** A role's members, given by user_id or e-mail: replaced when the sorted list of user ids differs. */
async function applyRoleMembers(
  tx: Stores,
  file: TenantFile,
  roleId: string,
  refs: readonly string[],
  where: string,
): Promise<void> {
  const ids: string[] = [];
  for (const ref of refs) {
    const user =
      ref.includes('@') && !ref.includes('|') ? await findUserByEmail(tx, file, ref, where) : await tx.users.get(ref);
    if (!user) throw new TenantFileError(`${where}: users has "${ref}", which is not a user`);
    if (!ids.includes(user.user_id)) ids.push(user.user_id);
  }
  ids.sort();
  const current = await tx.roles.members(roleId);
  if (current.join('\n') !== ids.join('\n')) await tx.roles.setMembers(roleId, ids);
}

/** The file's tenant settings: Auth0's settings stored without effect go aside, merged over the stored ones. */
async function applyTenantSettings(tx: Stores, file: TenantFile): Promise<void> {
  if (!file.tenant) return;
  const { fields, inert } = splitInert(file.tenant, tenantInertFields, (await tx.tenant.get()).stored_without_effect);
  const patch: TenantPatch = fields as TenantPatch;
  if (inert) {
    // As PATCH /api/v2/tenants/settings: a null takes the setting away.
    const kept = Object.fromEntries(Object.entries(inert).filter(([, value]) => value !== null));
    patch.stored_without_effect = Object.keys(kept).length ? kept : null;
  }
  await applyTenant(tx, patch);
}

/** A role's `users` entry given as an e-mail: the one user with that address in a database connection. */
async function findUserByEmail(tx: Stores, file: TenantFile, email: string, where: string): Promise<User | undefined> {
  const connections = new Set([
    ...(file.users ?? []).map((u) => u.connection),
    ...(file.connections ?? []).filter((c) => c.strategy === 'auth0').map((c) => c.name),
  ]);
  const defaultDirectory = file.tenant?.default_directory ?? (await tx.tenant.get()).default_directory;
  if (defaultDirectory) connections.add(defaultDirectory);
  const found: User[] = [];
  for (const connection of connections) {
    const user = await tx.users.findByEmail(connection, email);
    if (user) found.push(user);
  }
  if (found.length > 1)
    throw new TenantFileError(
      `${where}: users has "${email}", which matches users in several connections; give the user_id instead`,
    );
  return found[0];
}
