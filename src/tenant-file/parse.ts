// Reading and checking a tenant file (docs/tenant-file.md): JSON or YAML, Auth0 v2 field names. Every error
// names the object and the field, e.g. `clients[1] (acme-worker): client_secret must …`.
import { readFile } from 'node:fs/promises';
import { createPublicKey } from 'node:crypto';
import { Ajv, type ErrorObject } from 'ajv';
import { parse as parseYaml } from 'yaml';
import { clientGrantTypeNames } from '../protocol/grants/index.js';
import type {
  AppType,
  Client,
  PublicKeyCredential,
  ResourceServer,
  TenantSettings,
  TokenEndpointAuthMethod,
} from '../store/types.js';
import {
  type clientInertFields,
  type connectionInertFields,
  type emailTemplateNamesOfAuth0,
  type resourceServerInertFields,
  type tenantInertFields,
  tenantFileSchema,
} from './schemas.js';

export class TenantFileError extends Error {}

/** Auth0 fields stored without effect, as declared (the schema checks their types). */
type Inert<Fields> = { [K in keyof Fields]?: unknown };

export interface DeclaredClient
  extends Partial<Omit<Client, 'sealed_client_secret' | 'refresh_token' | 'jwt_configuration' | 'inert'>>,
    Inert<typeof clientInertFields> {
  client_id: string;
  client_secret?: string;
  app_type?: AppType;
  token_endpoint_auth_method?: TokenEndpointAuthMethod;
  refresh_token?: Partial<Client['refresh_token']>;
  jwt_configuration?: Partial<Client['jwt_configuration']>;
}
export type DeclaredResourceServer = Partial<Omit<ResourceServer, 'id' | 'is_system' | 'inert'>> &
  Inert<typeof resourceServerInertFields> & { identifier: string };
export interface DeclaredClientGrant {
  client_id: string;
  audience: string;
  scope: string[];
}
export interface DeclaredConnection extends Inert<typeof connectionInertFields> {
  name: string;
  strategy: string;
  options?: Record<string, unknown>;
  enabled_clients?: string[];
}
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

export type DeclaredTenant = Omit<TenantSettings, 'gatehouse_initialized' | 'branding' | 'stored_without_effect'> &
  Inert<typeof tenantInertFields>;
export interface DeclaredBranding extends NonNullable<TenantSettings['branding']> {
  templates?: { template: 'universal_login'; body: string }[];
}
export interface DeclaredEmailTemplate {
  template: (typeof emailTemplateNamesOfAuth0)[number];
  body?: string;
  from?: string;
  resultUrl?: string;
  subject?: string;
  syntax?: 'liquid';
  urlLifetimeInSeconds?: number;
  includeEmailInRedirect?: boolean;
  enabled?: boolean;
}

export interface TenantFile {
  tenant?: DeclaredTenant;
  branding?: DeclaredBranding;
  email_templates?: DeclaredEmailTemplate[];
  resource_servers?: DeclaredResourceServer[];
  clients?: DeclaredClient[];
  client_grants?: DeclaredClientGrant[];
  connections?: DeclaredConnection[];
  users?: DeclaredUser[];
  roles?: DeclaredRole[];
}

const validate = new Ajv({ allErrors: false, strict: true, allowUnionTypes: true, verbose: true }).compile(
  tenantFileSchema,
);

/**
 * `/clients/1/client_secret` → `clients[1] (acme-worker): client_secret`. Each kind is named by its key in
 * the file: a client grant by client and audience (a client may have several), a user by e-mail.
 */
export function objectLabel(file: Record<string, unknown>, kind: string, index: number): string {
  const item = (file[kind] as Record<string, unknown>[] | undefined)?.[index] ?? {};
  const name =
    kind === 'client_grants'
      ? typeof item.client_id === 'string' && typeof item.audience === 'string'
        ? `${item.client_id} → ${item.audience}`
        : item.client_id
      : kind === 'users'
        ? item.email
        : (item.client_id ?? item.identifier ?? item.name ?? item.template);
  return `${kind}[${index}]${typeof name === 'string' ? ` (${name})` : ''}`;
}

function describe(file: Record<string, unknown>, error: ErrorObject): string {
  const [kind, index, ...path] = error.instancePath.split('/').slice(1);
  const where =
    kind === undefined
      ? 'tenant file'
      : index === undefined || kind === 'tenant'
        ? kind
        : objectLabel(file, kind, Number(index));
  const rest = kind === 'tenant' ? [index, ...path].filter((p) => p !== undefined) : path;
  const params = error.params as Record<string, unknown>;
  if (error.keyword === 'additionalProperties')
    return `${where}: unknown field "${[...rest, params.additionalProperty].join('.')}"`;
  if (error.keyword === 'required') return `${where}: ${[...rest, params.missingProperty].join('.')} is required`;
  const field = rest.join('.') || 'value';
  if (error.keyword === 'enum')
    return `${where}: ${field} must be one of ${(params.allowedValues as unknown[]).join(', ')}, not ${JSON.stringify(error.data)}`;
  return `${where}: ${field} ${error.message}`;
}

/** V8 reports a JSON error by character offset; people look for a line and column. */
function jsonErrorMessage(error: Error, text: string): string {
  const at = /at position (\d+)/.exec(error.message);
  if (!at || /\bline\b/.test(error.message)) return error.message;
  const before = text.slice(0, Number(at[1])).split('\n');
  return `${error.message} (line ${before.length}, column ${before[before.length - 1].length + 1})`;
}

/** The environment a tenant file's `${NAME}` placeholders are filled from. */
export type Variables = (name: string) => string | undefined;

export async function readTenantFile(path: string, variables?: Variables): Promise<TenantFile> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new TenantFileError(`Cannot read tenant file ${path}: ${(error as Error).message}`);
  }
  return parseTenantFile(text, path, variables);
}

/** A whole string value `${NAME}`: filled from the environment (docs/tenant-as-code.md "Secrets and placeholders"). */
const PLACEHOLDER = /^\$\{([A-Za-z_][A-Za-z0-9_]*)\}$/;

/** Every placeholder in `data` replaced by its variable's value; a variable that is not set stops the read. */
function fillPlaceholders(data: unknown, variables: Variables): unknown {
  const missing: { name: string; at: string[] }[] = [];
  const fill = (value: unknown, at: string[]): unknown => {
    if (typeof value === 'string') {
      const name = PLACEHOLDER.exec(value)?.[1];
      if (name === undefined) return value;
      const filled = variables(name);
      if (filled === undefined) missing.push({ name, at });
      return filled ?? value;
    }
    if (Array.isArray(value)) return value.map((item, i) => fill(item, [...at, String(i)]));
    if (value && typeof value === 'object')
      return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, fill(item, [...at, key])]));
    return value;
  };
  const filled = fill(data, []);
  if (missing.length) {
    const [{ name, at }] = missing;
    const [kind, index, ...field] = at;
    const where =
      index === undefined || !/^\d+$/.test(index)
        ? at.slice(0, -1).join('.') || 'tenant file'
        : objectLabel(data as Record<string, unknown>, kind, Number(index));
    const fieldName = index === undefined || !/^\d+$/.test(index) ? at[at.length - 1] : field.join('.');
    const others = [...new Set(missing.slice(1).map((m) => m.name))].filter((n) => n !== name);
    throw new TenantFileError(
      `${where}: ${fieldName} is \${${name}}, but the environment variable ${name} is not set${others.length ? ` (nor ${others.join(', ')})` : ''}; nothing was changed`,
    );
  }
  return filled;
}

/** Parses and checks a tenant file; with `variables`, its placeholders are filled first. */
export function parseTenantFile(text: string, path = 'tenant file', variables?: Variables): TenantFile {
  const yaml = /\.ya?ml$/i.test(path);
  let data: unknown;
  try {
    data = yaml ? parseYaml(text) : JSON.parse(text);
  } catch (error) {
    // One line: the yaml package appends a code frame, which would echo the file (and its secrets).
    const why = yaml
      ? (error as Error).message.split('\n')[0].replace(/:$/, '')
      : jsonErrorMessage(error as Error, text);
    throw new TenantFileError(`${path} is not valid ${yaml ? 'YAML' : 'JSON'}: ${why}`);
  }
  if (variables) data = fillPlaceholders(data, variables);
  if (!validate(data)) throw new TenantFileError(describe(data as Record<string, unknown>, validate.errors![0]));
  const file = data as TenantFile;
  checkShapes(file);
  return file;
}

export function checkUrl(where: string, field: string, value: string, originOnly = false) {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new TenantFileError(`${where}: ${field} "${value}" is not an absolute URL`);
  }
  if (url.hash) throw new TenantFileError(`${where}: ${field} "${value}" must not have a fragment`);
  if (originOnly && url.origin !== value)
    throw new TenantFileError(`${where}: ${field} "${value}" must be an origin (scheme://host[:port])`);
}

const keyTypes: Record<PublicKeyCredential['alg'], string> = { RS256: 'rsa', RS384: 'rsa', PS256: 'rsa', ES256: 'ec' };

/** Checks one object at a time that a schema cannot express. References between objects are checked when applied. */
function checkShapes(file: TenantFile) {
  const seen = (kind: string, field: string, key: (x: never) => string, items: unknown[] | undefined) => {
    const first = new Map<string, number>();
    items?.forEach((item, i) => {
      const k = key(item as never);
      const earlier = first.get(k);
      if (earlier !== undefined) {
        throw new TenantFileError(
          `${objectLabel(file as Record<string, unknown>, kind, i)}: ${field} is already declared by ${kind}[${earlier}]`,
        );
      }
      first.set(k, i);
    });
  };
  seen('clients', 'client_id', (c: DeclaredClient) => c.client_id, file.clients);
  seen('resource_servers', 'identifier', (r: DeclaredResourceServer) => r.identifier, file.resource_servers);
  seen(
    'client_grants',
    'client_id and audience',
    (g: DeclaredClientGrant) => `${g.client_id} ${g.audience}`,
    file.client_grants,
  );
  seen('connections', 'name', (c: DeclaredConnection) => c.name, file.connections);
  seen(
    'users',
    'email (in this connection)',
    (u: DeclaredUser) => `${u.connection} ${u.email.toLowerCase()}`,
    file.users,
  );
  seen('roles', 'name', (r: DeclaredRole) => r.name, file.roles);
  seen('email_templates', 'template', (t: DeclaredEmailTemplate) => t.template, file.email_templates);

  file.clients?.forEach((client, i) => {
    const where = objectLabel(file as Record<string, unknown>, 'clients', i);
    for (const field of ['callbacks', 'allowed_logout_urls'] as const)
      for (const u of client[field] ?? []) checkUrl(where, field, u);
    for (const field of ['web_origins', 'allowed_origins'] as const)
      for (const u of client[field] ?? []) checkUrl(where, field, u, true);
    for (const grant of client.grant_types ?? []) {
      if (!clientGrantTypeNames.includes(grant))
        throw new TenantFileError(`${where}: grant_types has unknown grant "${grant}"`);
    }
    if (client.token_endpoint_auth_method === 'none') {
      if (client.client_secret)
        throw new TenantFileError(`${where}: client_secret is not allowed with token_endpoint_auth_method none`);
      if (client.grant_types?.includes('client_credentials')) {
        throw new TenantFileError(
          `${where}: grant_types cannot include client_credentials for a public client (token_endpoint_auth_method none)`,
        );
      }
    }
    client.client_authentication_methods?.private_key_jwt?.credentials.forEach((credential, j) => {
      let type: string | undefined;
      try {
        type = createPublicKey(credential.pem).asymmetricKeyType;
      } catch {
        throw new TenantFileError(
          `${where}: client_authentication_methods.private_key_jwt.credentials[${j}].pem is not a PEM public key`,
        );
      }
      if (type !== keyTypes[credential.alg]) {
        throw new TenantFileError(
          `${where}: client_authentication_methods.private_key_jwt.credentials[${j}] is a ${type} key, not usable with ${credential.alg}`,
        );
      }
    });
  });
  for (const u of file.tenant?.allowed_logout_urls ?? []) checkUrl('tenant', 'allowed_logout_urls', u);
  file.users?.forEach((user, i) => {
    if (user.password !== undefined && user.password_hash !== undefined) {
      throw new TenantFileError(
        `${objectLabel(file as Record<string, unknown>, 'users', i)}: give password or password_hash, not both`,
      );
    }
  });
}
