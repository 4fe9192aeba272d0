// What every start does to the tenant, each step in one transaction under the tenant lock so that
// instances starting together do it once: the built-in Management API, the tenant file, the operator's
// client, and on an empty database the development client that the start banner prints.
import type { SecretBox } from '../crypto/secret-box.js';
import type { Passwords } from '../crypto/passwords.js';
import { randomId, randomSecret } from '../crypto/random.js';
import type { Store, Stores } from '../store/types.js';
import { type ApplyDeps, applyTenantFile, userKey } from './apply.js';
import { newClient, newResourceServer } from './defaults.js';
import { managementScopes } from './scopes.js';
import { readTenantFile, type TenantFile, type Variables } from './parse.js';

export interface DevelopmentTenant {
  client_id: string;
  client_secret: string;
  audience: string;
  /** A regular web app for trying the hosted login page (with examples/web-app on its callback). */
  web: { client_id: string; client_secret: string; callback: string };
}

export const DEV_WEB_CALLBACK = 'http://localhost:8080/callback';
export const DEV_CONNECTION = 'Username-Password-Authentication';

export const DEV_API = 'https://api.example.com';

export async function ensureManagementApi(store: Store, audience: string): Promise<void> {
  await store.transaction('tenant', async (tx) => {
    const existing = await tx.resourceServers.getByIdentifier(audience);
    const scopes = managementScopes.map((value) => ({
      value,
      description: value.replace(':', ' ').replaceAll('_', ' '),
    }));
    if (!existing) {
      await tx.resourceServers.insert({
        ...newResourceServer(randomId('', 24).toLowerCase(), audience),
        name: 'Gatehouse Management API',
        scopes,
        is_system: true,
      });
    } else if (existing.scopes.length !== scopes.length) {
      await tx.resourceServers.update(existing.id, { scopes });
    }
  });
}

export async function applyTenantFileAtStart(
  store: Store,
  path: string,
  box: SecretBox,
  passwords: Pick<Passwords, 'hash'>,
  managementAudience: string,
  now: () => number,
  checks: Pick<ApplyDeps, 'checkPageTemplate'> & { variables: Variables },
): Promise<void> {
  const file = await readTenantFile(path, checks.variables);
  const passwordHashes = await hashDeclaredPasswords(store, file, passwords);
  await store.transaction('tenant', async (tx) => {
    await hashPasswordsStillMissing(tx, file, passwords, passwordHashes);
    await applyTenantFile(tx, file, {
      box,
      managementAudience,
      passwordHashes,
      now,
      checkPageTemplate: checks.checkPageTemplate,
    });
    const tenant = await tx.tenant.get();
    if (!tenant.gatehouse_initialized) await tx.tenant.put({ ...tenant, gatehouse_initialized: true });
  });
}

/** argon2id is slow on purpose: hash before the transaction, and only for users that do not exist yet. */
export async function hashDeclaredPasswords(
  store: Pick<Store, 'users'>,
  file: TenantFile,
  passwords: Pick<Passwords, 'hash'>,
): Promise<Map<string, string>> {
  const passwordHashes = new Map<string, string>();
  for (const user of file.users ?? []) {
    if (user.password !== undefined && !(await store.users.findByEmail(user.connection, user.email))) {
      passwordHashes.set(userKey(user.connection, user.email), await passwords.hash(user.password));
    }
  }
  return passwordHashes;
}

/**
 * Inside the transaction: a user created by another writer since hashDeclaredPasswords keeps its password; one
 * deleted since then (by the Management API) gets its hash now.
 */
export async function hashPasswordsStillMissing(
  tx: Stores,
  file: TenantFile,
  passwords: Pick<Passwords, 'hash'>,
  passwordHashes: Map<string, string>,
): Promise<void> {
  for (const user of file.users ?? []) {
    const key = userKey(user.connection, user.email);
    if (
      user.password !== undefined &&
      !passwordHashes.has(key) &&
      !(await tx.users.findByEmail(user.connection, user.email))
    ) {
      passwordHashes.set(key, await passwords.hash(user.password));
    }
  }
}

/** GATEHOUSE_ADMIN_CLIENT_ID/_SECRET: the operator's client, granted every Management API scope. */
export async function upsertAdminClient(
  store: Store,
  clientId: string,
  secret: string,
  box: SecretBox,
  managementAudience: string,
): Promise<void> {
  await store.transaction('tenant', async (tx) => {
    const existing = await tx.clients.get(clientId);
    if (!existing) {
      await tx.clients.insert({
        ...newClient(clientId, 'non_interactive', 'client_secret_post'),
        name: 'Gatehouse Admin',
        sealed_client_secret: box.seal(secret),
      });
    } else {
      const patch: Parameters<typeof tx.clients.update>[1] = {};
      if (!existing.sealed_client_secret || box.open(existing.sealed_client_secret) !== secret)
        patch.sealed_client_secret = box.seal(secret);
      if (!existing.grant_types.includes('client_credentials'))
        patch.grant_types = [...existing.grant_types, 'client_credentials'];
      if (!['client_secret_post', 'client_secret_basic'].includes(existing.token_endpoint_auth_method))
        patch.token_endpoint_auth_method = 'client_secret_post';
      if (Object.keys(patch).length) await tx.clients.update(clientId, patch);
    }
    const grant = await tx.clientGrants.find(clientId, managementAudience);
    const scope = [...managementScopes];
    if (!grant)
      await tx.clientGrants.insert({ id: randomId('cgr_'), client_id: clientId, audience: managementAudience, scope });
    else if (grant.scope.join(' ') !== scope.join(' ')) await tx.clientGrants.update(grant.id, { scope });
  });
}

/**
 * On an empty database with no tenant file: a machine-to-machine client and an API to try at once, and a
 * web app with a database connection (sign-up open) to try the hosted login page.
 */
export async function seedDevelopmentTenant(store: Store, box: SecretBox): Promise<DevelopmentTenant | undefined> {
  return store.transaction('tenant', async (tx) => {
    const tenant = await tx.tenant.get();
    if (tenant.gatehouse_initialized) return undefined;
    await tx.tenant.put({ ...tenant, gatehouse_initialized: true });
    if ((await tx.clients.count()) > 0) return undefined;

    const client_id = randomId('', 32);
    const client_secret = randomSecret();
    await tx.resourceServers.insert({
      ...newResourceServer(randomId('', 24).toLowerCase(), DEV_API),
      name: 'Example API',
      scopes: [
        { value: 'read:items', description: 'Read items' },
        { value: 'write:items', description: 'Write items' },
      ],
    });
    await tx.clients.insert({
      ...newClient(client_id, 'non_interactive', 'client_secret_basic'),
      name: 'Development machine-to-machine client',
      sealed_client_secret: box.seal(client_secret),
    });
    await tx.clientGrants.insert({
      id: randomId('cgr_'),
      client_id,
      audience: DEV_API,
      scope: ['read:items', 'write:items'],
    });

    const web = { client_id: randomId('', 32), client_secret: randomSecret(), callback: DEV_WEB_CALLBACK };
    await tx.clients.insert({
      ...newClient(web.client_id, 'regular_web', 'client_secret_basic'),
      name: 'Development web app',
      sealed_client_secret: box.seal(web.client_secret),
      grant_types: ['authorization_code', 'refresh_token'],
      callbacks: [DEV_WEB_CALLBACK],
      allowed_logout_urls: ['http://localhost:8080/'],
    });
    await tx.connections.insert({
      id: randomId('con_'),
      name: DEV_CONNECTION,
      strategy: 'auth0',
      options: {},
      enabled_clients: [web.client_id],
    });
    await tx.tenant.put({ ...(await tx.tenant.get()), default_directory: DEV_CONNECTION });
    return { client_id, client_secret, audience: DEV_API, web };
  });
}
