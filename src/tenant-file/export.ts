// The tenant as a tenant file (docs/tenant-as-code.md "Export"): every object Gatehouse keeps for the tenant, in
// the file's shape and Auth0's field names, sorted by each kind's key and with keys in a fixed order (the key
// first, then by name), so that exporting an unchanged tenant gives the same bytes and a change a small diff.
import type { SecretBox } from '../crypto/secret-box.js';
import type { Client, Stores } from '../store/types.js';
import { allClientGrants, allClients, allDatabaseUsers, allResourceServers, allRoles } from './list-all.js';
import type { TenantFile } from './parse.js';

export interface ExportOptions {
  box: SecretBox;
  /** Client secrets as their values, or as `${CLIENT_SECRET_<NAME>}` placeholders. */
  secrets: boolean;
  /** The users of the database connections, and the roles' members (never a password hash). */
  users: boolean;
  /** Set from the configuration (GATEHOUSE_ADMIN_CLIENT_ID): not part of the tenant file, with its grants. */
  operatorClientId?: string;
}

const byText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** Nested objects with their keys sorted; arrays keep their order. */
function sortedDeep(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortedDeep);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value as Record<string, unknown>)
        .sort(([a], [b]) => byText(a, b))
        .map(([k, v]) => [k, sortedDeep(v)]),
    );
  }
  return value;
}

/** `first` keys in that order, then the others by name; null and undefined fields left out. */
function ordered(object: Record<string, unknown>, first: readonly string[]): Record<string, unknown> {
  const present = Object.entries(object).filter(([, v]) => v !== null && v !== undefined);
  const rank = (key: string) => (first.includes(key) ? first.indexOf(key) : first.length);
  present.sort(([a], [b]) => rank(a) - rank(b) || byText(a, b));
  return Object.fromEntries(present.map(([k, v]) => [k, sortedDeep(v)]));
}

/** CLIENT_SECRET_MY_APP for "My App": the variable a placeholder names. */
export function secretVariable(name: string): string {
  const words = name
    .toUpperCase()
    .replace(/[^A-Z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '');
  return `CLIENT_SECRET_${words || 'CLIENT'}`;
}

/** Each client's placeholder, from its name; from its client_id where two names would give one variable. */
function placeholders(clients: readonly Client[]): Map<string, string> {
  const count = new Map<string, number>();
  for (const c of clients) count.set(secretVariable(c.name), (count.get(secretVariable(c.name)) ?? 0) + 1);
  return new Map(
    clients.map((c) => {
      const byName = secretVariable(c.name);
      return [c.client_id, `\${${count.get(byName) === 1 ? byName : secretVariable(c.client_id)}}`];
    }),
  );
}

function clientEntry(client: Client, secret: string | undefined): Record<string, unknown> {
  const { sealed_client_secret: _, inert, ...fields } = client;
  return ordered({ ...inert, ...fields, client_secret: secret }, ['client_id', 'name']);
}

export async function exportTenant(tx: Stores, options: ExportOptions): Promise<TenantFile> {
  const settings = await tx.tenant.get();
  const { gatehouse_initialized: _, branding, stored_without_effect, ...tenantFields } = settings;
  const template = await tx.branding.getTemplate();

  const clients = (await allClients(tx))
    .filter((c) => c.client_id !== options.operatorClientId)
    .sort((a, b) => byText(a.client_id, b.client_id));
  const names = placeholders(clients.filter((c) => c.sealed_client_secret));
  const resourceServers = (await allResourceServers(tx))
    .filter((r) => !r.is_system)
    .sort((a, b) => byText(a.identifier, b.identifier));
  const grants = (await allClientGrants(tx))
    .filter((g) => g.client_id !== options.operatorClientId)
    .sort((a, b) => byText(a.client_id, b.client_id) || byText(a.audience, b.audience));
  const connections = (await tx.connections.list()).sort((a, b) => byText(a.name, b.name));
  const roles = (await allRoles(tx)).sort((a, b) => byText(a.name, b.name));

  const file: Record<string, unknown> = {
    tenant: ordered({ ...stored_without_effect, ...tenantFields }, []),
    branding: ordered(
      {
        ...branding,
        templates: template === undefined ? undefined : [{ template: 'universal_login', body: template }],
      },
      [],
    ),
    resource_servers: resourceServers.map(({ id: _id, is_system: _s, inert, ...fields }) =>
      ordered({ ...inert, ...fields }, ['identifier', 'name']),
    ),
    clients: clients.map((c) =>
      clientEntry(
        c,
        c.sealed_client_secret
          ? options.secrets
            ? options.box.open(c.sealed_client_secret)
            : names.get(c.client_id)
          : undefined,
      ),
    ),
    client_grants: grants.map(({ id: _id, ...fields }) => ordered(fields, ['client_id', 'audience'])),
    connections: connections.map(({ id: _id, inert, ...fields }) =>
      ordered({ ...inert, ...fields }, ['name', 'strategy']),
    ),
    roles: [] as Record<string, unknown>[],
    email_templates: (await tx.emailTemplates.list()).map((t) => ordered({ ...t, syntax: 'liquid' }, ['template'])),
  };
  for (const role of roles) {
    const permissions = await tx.roles.permissions(role.id);
    const members = options.users ? [...(await tx.roles.members(role.id))].sort(byText) : undefined;
    (file.roles as Record<string, unknown>[]).push(
      ordered({ name: role.name, description: role.description, permissions, users: members }, ['name']),
    );
  }
  if (options.users) {
    const users = (await allDatabaseUsers(tx))
      .map((u) => ({ ...u, user_id: u.user_id.slice('auth0|'.length) }))
      .filter((u) => /^[A-Za-z0-9_.-]{1,200}$/.test(u.user_id))
      .sort((a, b) => byText(a.connection, b.connection) || byText(a.email!, b.email!));
    file.users = users.map(
      ({
        password_hash: _h,
        created_at: _c,
        updated_at: _u,
        logins_count: _l,
        last_login: _ll,
        last_ip: _ip,
        phone_verified: _pv,
        ...fields
      }) => ordered(fields, ['connection', 'email', 'user_id']),
    );
  }
  return file as TenantFile;
}
