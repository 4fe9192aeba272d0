// Reading and checking a tenant file (SPEC.md §3): JSON or YAML, Auth0 v2 field names. Every error
// names the object and the field, e.g. `clients[1] (acme-worker): client_secret must …`.
import { readFile } from 'node:fs/promises';
import { createPublicKey } from 'node:crypto';
import { Ajv, type ErrorObject } from 'ajv';
import { parse as parseYaml } from 'yaml';
import { clientGrantTypeNames } from '../protocol/grants/index.js';
import type {
  AppType, Client, PublicKeyCredential, ResourceServer, TenantSettings, TokenEndpointAuthMethod,
} from '../store/types.js';
import { tenantFileSchema } from './schemas.js';

export class TenantFileError extends Error {}

export interface DeclaredClient extends Partial<Omit<Client, 'sealed_client_secret' | 'refresh_token' | 'jwt_configuration'>> {
  client_id: string;
  client_secret?: string;
  app_type?: AppType;
  token_endpoint_auth_method?: TokenEndpointAuthMethod;
  refresh_token?: Partial<Client['refresh_token']>;
  jwt_configuration?: Partial<Client['jwt_configuration']>;
}
export type DeclaredResourceServer = Partial<Omit<ResourceServer, 'id' | 'is_system'>> & { identifier: string };
export interface DeclaredClientGrant { client_id: string; audience: string; scope: string[] }
export interface DeclaredConnection { name: string; strategy: string; options?: Record<string, unknown>; enabled_clients?: string[] }
export interface DeclaredUser {
  user_id?: string;
  connection: string;
  email: string;
  email_verified?: boolean;
  password?: string;
  password_hash?: string;
  username?: string;
  phone_number?: string;
  name?: string;
  given_name?: string;
  family_name?: string;
  nickname?: string;
  picture?: string;
  blocked?: boolean;
  user_metadata?: Record<string, unknown>;
  app_metadata?: Record<string, unknown>;
}
export interface DeclaredRole {
  name: string;
  description?: string;
  permissions?: { resource_server_identifier: string; permission_name: string }[];
  users?: string[];
}

export interface TenantFile {
  tenant?: Omit<TenantSettings, 'gatehouse_initialized'>;
  resource_servers?: DeclaredResourceServer[];
  clients?: DeclaredClient[];
  client_grants?: DeclaredClientGrant[];
  connections?: DeclaredConnection[];
  users?: DeclaredUser[];
  roles?: DeclaredRole[];
}

const validate = new Ajv({ allErrors: false, strict: true }).compile(tenantFileSchema);

/** `/clients/1/client_secret` → `clients[1] (acme-worker): client_secret` */
export function objectLabel(file: Record<string, unknown>, kind: string, index: number): string {
  const item = (file[kind] as Record<string, unknown>[] | undefined)?.[index] ?? {};
  const name = item.client_id ?? item.identifier ?? item.name ?? item.email ?? (kind === 'client_grants' ? `${item.client_id} → ${item.audience}` : undefined);
  return `${kind}[${index}]${typeof name === 'string' ? ` (${name})` : ''}`;
}

function describe(file: Record<string, unknown>, error: ErrorObject): string {
  const [kind, index, ...field] = error.instancePath.split('/').slice(1);
  const where = kind === undefined ? 'tenant file' : index === undefined || kind === 'tenant' ? kind : objectLabel(file, kind, Number(index));
  const rest = kind === 'tenant' ? [index, ...field].filter((p) => p !== undefined) : field;
  const params = error.params as Record<string, unknown>;
  if (error.keyword === 'additionalProperties') return `${where}: unknown field "${[...rest, params.additionalProperty].join('.')}"`;
  if (error.keyword === 'required') return `${where}: ${[...rest, params.missingProperty].join('.')} is required`;
  const allowed = error.keyword === 'enum' ? ` (one of ${(params.allowedValues as unknown[]).join(', ')})` : '';
  return `${where}: ${rest.join('.') || 'value'} ${error.message}${allowed}`;
}

export async function readTenantFile(path: string): Promise<TenantFile> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new TenantFileError(`Cannot read tenant file ${path}: ${(error as Error).message}`);
  }
  return parseTenantFile(text, path);
}

export function parseTenantFile(text: string, path = 'tenant file'): TenantFile {
  let data: unknown;
  try {
    data = /\.ya?ml$/i.test(path) ? parseYaml(text) : JSON.parse(text);
  } catch (error) {
    throw new TenantFileError(`${path} is not valid ${/\.ya?ml$/i.test(path) ? 'YAML' : 'JSON'}: ${(error as Error).message}`);
  }
  if (!validate(data)) throw new TenantFileError(describe(data as Record<string, unknown>, validate.errors![0]));
  const file = data as TenantFile;
  checkShapes(file);
  return file;
}

function checkUrl(where: string, field: string, value: string, originOnly = false) {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new TenantFileError(`${where}: ${field} "${value}" is not an absolute URL`);
  }
  if (url.hash) throw new TenantFileError(`${where}: ${field} "${value}" must not have a fragment`);
  if (originOnly && url.origin !== value) throw new TenantFileError(`${where}: ${field} "${value}" must be an origin (scheme://host[:port])`);
}

const keyTypes: Record<PublicKeyCredential['alg'], string> = { RS256: 'rsa', RS384: 'rsa', PS256: 'rsa', ES256: 'ec' };

/** Checks one object at a time that a schema cannot express. References between objects are checked when applied. */
function checkShapes(file: TenantFile) {
  const seen = (kind: string, key: (x: never) => string, items: unknown[] | undefined) => {
    const keys = new Set<string>();
    items?.forEach((item, i) => {
      const k = key(item as never);
      if (keys.has(k)) throw new TenantFileError(`${objectLabel(file as Record<string, unknown>, kind, i)}: declared twice`);
      keys.add(k);
    });
  };
  seen('clients', (c: DeclaredClient) => c.client_id, file.clients);
  seen('resource_servers', (r: DeclaredResourceServer) => r.identifier, file.resource_servers);
  seen('client_grants', (g: DeclaredClientGrant) => `${g.client_id} ${g.audience}`, file.client_grants);
  seen('connections', (c: DeclaredConnection) => c.name, file.connections);
  seen('users', (u: DeclaredUser) => `${u.connection} ${u.email.toLowerCase()}`, file.users);
  seen('roles', (r: DeclaredRole) => r.name, file.roles);

  file.clients?.forEach((client, i) => {
    const where = objectLabel(file as Record<string, unknown>, 'clients', i);
    for (const field of ['callbacks', 'allowed_logout_urls'] as const) client[field]?.forEach((u) => checkUrl(where, field, u));
    for (const field of ['web_origins', 'allowed_origins'] as const) client[field]?.forEach((u) => checkUrl(where, field, u, true));
    for (const grant of client.grant_types ?? []) {
      if (!clientGrantTypeNames.includes(grant)) throw new TenantFileError(`${where}: grant_types has unknown grant "${grant}"`);
    }
    if (client.token_endpoint_auth_method === 'none') {
      if (client.client_secret) throw new TenantFileError(`${where}: client_secret is not allowed with token_endpoint_auth_method none`);
      if (client.grant_types?.includes('client_credentials')) {
        throw new TenantFileError(`${where}: grant_types cannot include client_credentials for a public client (token_endpoint_auth_method none)`);
      }
    }
    client.client_authentication_methods?.private_key_jwt?.credentials.forEach((credential, j) => {
      let type: string | undefined;
      try {
        type = createPublicKey(credential.pem).asymmetricKeyType;
      } catch {
        throw new TenantFileError(`${where}: client_authentication_methods.private_key_jwt.credentials[${j}].pem is not a PEM public key`);
      }
      if (type !== keyTypes[credential.alg]) {
        throw new TenantFileError(`${where}: client_authentication_methods.private_key_jwt.credentials[${j}] is a ${type} key, not usable with ${credential.alg}`);
      }
    });
  });
  file.tenant?.allowed_logout_urls?.forEach((u) => checkUrl('tenant', 'allowed_logout_urls', u));
  file.users?.forEach((user, i) => {
    if (user.password !== undefined && user.password_hash !== undefined) {
      throw new TenantFileError(`${objectLabel(file as Record<string, unknown>, 'users', i)}: give password or password_hash, not both`);
    }
  });
}
