// The tenant files the HTTP suites start Gatehouse with, in Auth0's shape (docs/tenant-file.md): one builder
// per kind of object, each taking overrides, and one tenant() that fills what a suite leaves out. A suite
// that needs a variation (another client id, a third-party client, special settings) passes overrides.
// (test/store/fixtures.ts builds store rows, not tenant files.)
import bcrypt from 'bcryptjs';

type Obj = Record<string, unknown>;

export const API = 'https://api.acme.test';
export const OPEN_API = 'https://open.acme.test';
export const DB = 'Username-Password-Authentication';
/** Every user's password: it meets Auth0's "good" and "excellent" policies, so sign-ups may use it too. */
export const PASSWORD = 'Sunny-Meadow-42';
/** The web app's callback: nothing listens there, Gatehouse only redirects to it. */
export const CALLBACK = 'http://localhost:8080/callback';
export const OTHER_CALLBACK = 'http://localhost:8081/callback';
export const SPA_CALLBACK = 'http://localhost:3001/';
export const NATIVE_LOOPBACK = 'http://127.0.0.1/callback';
export const WEB_SECRET = 'web-secret-0123456789-abcdefghijklmnopqrstuvwxyz';
export const OTHER_SECRET = 'other-secret-0123456789-abcdefghijklmnopqrstuvwx';
export const SECRET_BASIC = 'basic-secret-with+special/chars:and=more-0123456789';
export const SECRET_POST = 'post-secret-0123456789-abcdefghijklmnopqrstuvwxyz';

/** Scopes of a resource server: a value alone, or [value, description]. */
export const scopes = (...values: (string | [string, string])[]) =>
  values.map((v) => (typeof v === 'string' ? { value: v } : { value: v[0], description: v[1] }));

/** The Acme API (https://api.acme.test) with read, write and delete scopes. */
export function acmeApi(overrides: Obj = {}): Obj {
  return {
    identifier: API,
    name: 'Acme API',
    scopes: scopes('read:items', 'write:items', 'delete:items'),
    ...overrides,
  };
}

/** A confidential regular web app ("web") that signs in with the code grant at CALLBACK. */
export function webClient(overrides: Obj = {}): Obj {
  return {
    client_id: 'web',
    client_secret: WEB_SECRET,
    name: 'Acme Web',
    app_type: 'regular_web',
    token_endpoint_auth_method: 'client_secret_basic',
    grant_types: ['authorization_code'],
    callbacks: [CALLBACK],
    ...overrides,
  };
}

/** A public single-page app ("spa"). */
export function spaClient(overrides: Obj = {}): Obj {
  return {
    client_id: 'spa',
    name: 'Acme SPA',
    app_type: 'spa',
    token_endpoint_auth_method: 'none',
    grant_types: ['authorization_code'],
    callbacks: [SPA_CALLBACK],
    ...overrides,
  };
}

/** A public native app ("native") with loopback and custom-scheme callbacks. */
export function nativeClient(overrides: Obj = {}): Obj {
  return {
    client_id: 'native',
    name: 'Acme Desktop',
    app_type: 'native',
    token_endpoint_auth_method: 'none',
    grant_types: ['authorization_code'],
    callbacks: [NATIVE_LOOPBACK],
    ...overrides,
  };
}

/** A machine-to-machine client ("m2m-basic") for the client_credentials grant. */
export function m2mClient(overrides: Obj = {}): Obj {
  return {
    client_id: 'm2m-basic',
    client_secret: SECRET_BASIC,
    name: 'M2M basic',
    app_type: 'non_interactive',
    token_endpoint_auth_method: 'client_secret_basic',
    grant_types: ['client_credentials'],
    ...overrides,
  };
}

/** A user of the database connection: `<name>@acme.test` with PASSWORD. */
export function user(name: string, overrides: Obj = {}): Obj {
  return { connection: DB, email: `${name}@acme.test`, password: PASSWORD, ...overrides };
}

/** Alice and Bob: verified, with a display name. */
export const alice = (overrides: Obj = {}) => user('alice', { email_verified: true, name: 'Alice', ...overrides });
export const bob = (overrides: Obj = {}) => user('bob', { email_verified: true, name: 'Bob', ...overrides });

export interface Connection {
  name: string;
  strategy: string;
  enabled_clients: string[];
  options?: Obj;
}

/** The database connection (DB), enabled for these clients. */
export function dbConnection(clients: Obj[], overrides: Partial<Connection> = {}): Connection {
  return { name: DB, strategy: 'auth0', enabled_clients: clients.map((c) => c.client_id as string), ...overrides };
}

export interface TenantFile {
  tenant: Obj;
  resource_servers: Obj[];
  clients: Obj[];
  connections: Connection[];
  users: Obj[];
  roles?: Obj[];
  client_grants?: Obj[];
}

/**
 * A tenant file. Left out: the web client, the Acme API, Alice, and the database connection enabled for every
 * client (the tenant's default directory whenever it is declared).
 */
export function tenant(parts: Partial<TenantFile> = {}): TenantFile {
  const {
    tenant: settings,
    clients = [webClient()],
    resource_servers = [acmeApi()],
    users = [alice()],
    ...rest
  } = parts;
  const connections = parts.connections ?? [dbConnection(clients)];
  const directory = connections.some((c) => c.name === DB) ? { default_directory: DB } : {};
  return {
    tenant: { friendly_name: 'Acme', ...directory, ...settings },
    resource_servers,
    clients,
    users,
    ...rest,
    connections,
  };
}

/**
 * What /userinfo (and an ID token's profile claims) say of signInTenant()'s Alice with `openid profile email`;
 * `updated_at` is the stored user's, as an ISO string.
 */
export function aliceClaims(updatedAt: number) {
  return {
    sub: users.alice.user_id,
    name: 'Alice Liddell',
    given_name: 'Alice',
    family_name: 'Liddell',
    nickname: 'alice',
    picture: 'https://img.acme.test/alice.png',
    updated_at: new Date(updatedAt).toISOString(),
    email: users.alice.email,
    email_verified: true,
  };
}

/** Users of signInTenant() by e-mail; ids are `auth0|<name>`. */
export const users = {
  alice: { email: 'alice@acme.test', user_id: 'auth0|alice' },
  bob: { email: 'bob@acme.test', user_id: 'auth0|bob' },
  carol: { email: 'carol@acme.test', user_id: 'auth0|carol' },
  dave: { email: 'dave@acme.test', user_id: 'auth0|dave' },
  erin: { email: 'erin@acme.test', user_id: 'auth0|erin' },
} as const;

/**
 * The tenant the sign-in tests share: web apps, a native app and a SPA with exact callbacks, two APIs (one
 * enforcing RBAC), two database connections, users with plain and bcrypt passwords, one role. `extra`: tenant
 * settings, settings of the "web" client, and more clients (enabled on DB) and resource servers.
 */
export function signInTenant(
  extra: { tenant?: Obj; web?: Obj; clients?: Obj[]; resource_servers?: Obj[] } = {},
): TenantFile {
  const clients = [
    webClient({
      grant_types: ['authorization_code', 'refresh_token'],
      callbacks: [
        CALLBACK,
        'https://app.acme.test/cb?tenant=acme',
        'https://app.acme.test/done/',
        'http://127.0.0.1:7000/callback',
      ],
      allowed_logout_urls: ['http://localhost:8080/', 'https://App.Acme.test/Signed-Out?from=gatehouse'],
      ...extra.web,
    }),
    webClient({
      client_id: 'other-web',
      client_secret: OTHER_SECRET,
      name: 'Acme Other',
      token_endpoint_auth_method: 'client_secret_post',
      callbacks: [OTHER_CALLBACK, CALLBACK],
      allowed_logout_urls: ['http://localhost:8081/'],
    }),
    nativeClient({ callbacks: [NATIVE_LOOPBACK, 'http://[::1]/callback', 'com.acme.app:/callback'] }),
    spaClient(),
    webClient({
      client_id: 'no-code',
      client_secret: OTHER_SECRET,
      name: 'No code grant',
      token_endpoint_auth_method: 'client_secret_post',
      grant_types: ['client_credentials'],
      callbacks: ['http://localhost:9000/callback'],
    }),
    ...(extra.clients ?? []),
  ];
  return tenant({
    tenant: { allowed_logout_urls: ['http://localhost:8080/tenant-logout'], ...extra.tenant },
    resource_servers: [
      acmeApi({ enforce_policies: true, token_dialect: 'access_token_authz' }),
      { identifier: OPEN_API, name: 'Open API', scopes: scopes('read:items', 'write:items') },
      ...(extra.resource_servers ?? []),
    ],
    clients,
    connections: [dbConnection(clients), { name: 'Partners', strategy: 'auth0', enabled_clients: ['other-web'] }],
    users: [
      alice({
        user_id: 'alice',
        name: 'Alice Liddell',
        given_name: 'Alice',
        family_name: 'Liddell',
        picture: 'https://img.acme.test/alice.png',
      }),
      user('bob', { user_id: 'bob' }),
      // Auth0's bulk import: an existing bcrypt hash, replaced by argon2id at the next login.
      user('carol', {
        user_id: 'carol',
        email_verified: true,
        password: undefined,
        password_hash: bcrypt.hashSync(PASSWORD, 4),
      }),
      user('dave', { user_id: 'dave' }),
      user('erin', { user_id: 'erin' }),
    ],
    roles: [
      {
        name: 'reader',
        permissions: [{ resource_server_identifier: API, permission_name: 'read:items' }],
        users: [users.alice.email],
      },
    ],
  });
}

/**
 * The tenant the token tests share: one API per token dialect and signing algorithm, and clients for each
 * authentication method; `extra` objects are appended.
 */
export function acmeTenant(extra: Partial<Pick<TenantFile, 'resource_servers' | 'clients' | 'client_grants'>> = {}) {
  const apis = [
    acmeApi({ scopes: scopes(['read:items', 'Read items'], 'write:items', 'delete:items') }),
    { identifier: 'https://authz.acme.test', token_dialect: 'access_token_authz', scopes: scopes('read:items') },
    { identifier: 'https://rfc9068.acme.test', token_dialect: 'rfc9068_profile', scopes: scopes('read:items') },
    {
      identifier: 'https://rfc9068-authz.acme.test',
      token_dialect: 'rfc9068_profile_authz',
      scopes: scopes('read:items'),
    },
    { identifier: 'https://ps256.acme.test', signing_alg: 'PS256', scopes: scopes('read:items') },
    { identifier: 'https://es256.acme.test', signing_alg: 'ES256', scopes: scopes('read:items') },
    { identifier: 'https://eddsa.acme.test', signing_alg: 'EdDSA', scopes: scopes('read:items') },
    { identifier: 'https://short.acme.test', token_lifetime: 60, scopes: [] },
    { identifier: 'https://ungranted.acme.test', scopes: scopes('read:items') },
  ];
  const grantAll = apis
    .filter((a) => a.identifier !== 'https://ungranted.acme.test')
    .map((a) => ({
      client_id: 'm2m-basic',
      audience: a.identifier,
      scope: (a.scopes as { value: string }[]).map((s) => s.value),
    }));
  return tenant({
    resource_servers: [...apis, ...(extra.resource_servers ?? [])],
    clients: [
      m2mClient(),
      m2mClient({
        client_id: 'm2m-post',
        client_secret: SECRET_POST,
        name: 'M2M post',
        token_endpoint_auth_method: 'client_secret_post',
      }),
      webClient({
        client_id: 'web-no-cc',
        client_secret: SECRET_POST,
        name: 'Web app',
        token_endpoint_auth_method: 'client_secret_post',
      }),
      spaClient({ name: 'SPA', grant_types: ['authorization_code', 'refresh_token'], callbacks: undefined }),
      ...(extra.clients ?? []),
    ],
    connections: [],
    users: [],
    client_grants: [
      ...grantAll,
      { client_id: 'm2m-post', audience: API, scope: ['read:items'] },
      ...(extra.client_grants ?? []),
    ],
  });
}
