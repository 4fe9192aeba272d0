// The tenant the sign-in tests share: web apps, a native app and a SPA with exact callbacks, two APIs
// (one enforcing RBAC), two database connections, users with plain and bcrypt passwords, one role.
import bcrypt from 'bcryptjs';

export const API = 'https://api.acme.test';
export const OPEN_API = 'https://open.acme.test';
export const CALLBACK = 'http://localhost:8080/callback';
export const OTHER_CALLBACK = 'http://localhost:8081/callback';
export const SPA_CALLBACK = 'http://localhost:3001/';
export const NATIVE_LOOPBACK = 'http://127.0.0.1/callback';
export const WEB_SECRET = 'web-secret-0123456789-abcdefghijklmnopqrstuvwxyz';
export const OTHER_SECRET = 'other-secret-0123456789-abcdefghijklmnopqrstuvwx';
export const PASSWORD = 'correct horse battery staple';
export const DB = 'Username-Password-Authentication';

/** Users by e-mail; ids are `auth0|<name>`. */
export const users = {
  alice: { email: 'alice@acme.test', user_id: 'auth0|alice' },
  bob: { email: 'bob@acme.test', user_id: 'auth0|bob' },
  carol: { email: 'carol@acme.test', user_id: 'auth0|carol' },
  dave: { email: 'dave@acme.test', user_id: 'auth0|dave' },
  erin: { email: 'erin@acme.test', user_id: 'auth0|erin' },
} as const;

export function signInTenant() {
  return {
    tenant: {
      friendly_name: 'Acme',
      default_directory: DB,
      allowed_logout_urls: ['http://localhost:8080/tenant-logout'],
    },
    resource_servers: [
      {
        identifier: API,
        name: 'Acme API',
        enforce_policies: true,
        token_dialect: 'access_token_authz',
        scopes: [{ value: 'read:items' }, { value: 'write:items' }, { value: 'delete:items' }],
      },
      { identifier: OPEN_API, name: 'Open API', scopes: [{ value: 'read:items' }, { value: 'write:items' }] },
    ],
    clients: [
      {
        client_id: 'web',
        client_secret: WEB_SECRET,
        name: 'Acme Web',
        app_type: 'regular_web',
        token_endpoint_auth_method: 'client_secret_basic',
        grant_types: ['authorization_code', 'refresh_token'],
        callbacks: [
          CALLBACK,
          'https://app.acme.test/cb?tenant=acme',
          'https://app.acme.test/done/',
          'http://127.0.0.1:7000/callback',
        ],
        allowed_logout_urls: ['http://localhost:8080/', 'https://App.Acme.test/Signed-Out?from=gatehouse'],
      },
      {
        client_id: 'other-web',
        client_secret: OTHER_SECRET,
        name: 'Acme Other',
        app_type: 'regular_web',
        token_endpoint_auth_method: 'client_secret_post',
        grant_types: ['authorization_code'],
        callbacks: [OTHER_CALLBACK, CALLBACK],
        allowed_logout_urls: ['http://localhost:8081/'],
      },
      {
        client_id: 'native',
        name: 'Acme Desktop',
        app_type: 'native',
        token_endpoint_auth_method: 'none',
        grant_types: ['authorization_code'],
        callbacks: [NATIVE_LOOPBACK, 'http://[::1]/callback', 'com.acme.app:/callback'],
      },
      {
        client_id: 'spa',
        name: 'Acme SPA',
        app_type: 'spa',
        token_endpoint_auth_method: 'none',
        grant_types: ['authorization_code'],
        callbacks: [SPA_CALLBACK],
      },
      {
        client_id: 'no-code',
        client_secret: OTHER_SECRET,
        name: 'No code grant',
        app_type: 'regular_web',
        token_endpoint_auth_method: 'client_secret_post',
        grant_types: ['client_credentials'],
        callbacks: ['http://localhost:9000/callback'],
      },
    ],
    connections: [
      { name: DB, strategy: 'auth0', enabled_clients: ['web', 'other-web', 'native', 'spa', 'no-code'] },
      { name: 'Partners', strategy: 'auth0', enabled_clients: ['other-web'] },
    ],
    users: [
      {
        connection: DB,
        user_id: 'alice',
        email: users.alice.email,
        email_verified: true,
        password: PASSWORD,
        name: 'Alice Liddell',
        given_name: 'Alice',
        family_name: 'Liddell',
        picture: 'https://img.acme.test/alice.png',
      },
      { connection: DB, user_id: 'bob', email: users.bob.email, password: PASSWORD },
      // Auth0's bulk import: an existing bcrypt hash, replaced by argon2id at the next login.
      {
        connection: DB,
        user_id: 'carol',
        email: users.carol.email,
        email_verified: true,
        password_hash: bcrypt.hashSync(PASSWORD, 4),
      },
      { connection: DB, user_id: 'dave', email: users.dave.email, password: PASSWORD },
      { connection: DB, user_id: 'erin', email: users.erin.email, password: PASSWORD },
    ],
    roles: [
      {
        name: 'reader',
        permissions: [{ resource_server_identifier: API, permission_name: 'read:items' }],
        users: [users.alice.email],
      },
    ],
  };
}
