// A Gatehouse with the operator's client (every Management API scope) and a "limited" client with a few, and
// the auth0 SDK's ManagementClient for each, unchanged but for a fetch that sends its https requests to the
// test server's http URL; `api` is a raw fetch of /api/v2 for what the SDK cannot send.
import assert from 'node:assert/strict';
import { ManagementClient } from 'auth0';
import type { TestDatabase } from './databases.js';
import type { TenantFile } from './fixtures.js';
import { postToken } from './http-client.js';
import { freePort, type RunningGatehouse, startGatehouse } from './server.js';

export const ADMIN_ID = 'gatehouse-admin';
const ADMIN_SECRET = 'admin-secret-0123456789-abcdefghijklmnopqrstuv';
const LIMITED_SECRET = 'limited-secret-0123456789-abcdefghijklmnopqrstu';

export interface AdminApi {
  server: RunningGatehouse;
  admin: ManagementClient;
  adminToken: string;
  /** A token of the "limited" client: only the scopes it was started with. */
  limitedToken: string;
  api(path: string, token: string, init?: { method?: string; body?: unknown }): Promise<Response>;
}

export function managementClient(server: RunningGatehouse, token: string): ManagementClient {
  return new ManagementClient({
    domain: new URL(server.issuer).host,
    token,
    fetch: (url, init) => fetch(String(url).replace(/^https:/, 'http:'), init),
  });
}

/** Starts Gatehouse with the tenant file plus the "limited" client, granted `limitedScopes` on /api/v2. */
export async function startWithAdmin(
  db: TestDatabase,
  tenant: TenantFile,
  limitedScopes: string[],
  now?: () => number,
): Promise<AdminApi> {
  const port = await freePort();
  const audience = `http://127.0.0.1:${port}/api/v2/`;
  const server = await startGatehouse({
    databaseUrl: db.url,
    port,
    now,
    env: { GATEHOUSE_ADMIN_CLIENT_ID: ADMIN_ID, GATEHOUSE_ADMIN_CLIENT_SECRET: ADMIN_SECRET },
    tenant: {
      ...tenant,
      clients: [
        ...tenant.clients,
        {
          client_id: 'limited',
          app_type: 'non_interactive',
          client_secret: LIMITED_SECRET,
          grant_types: ['client_credentials'],
        },
      ],
      client_grants: [...(tenant.client_grants ?? []), { client_id: 'limited', audience, scope: limitedScopes }],
    },
  });
  const token = async (client_id: string, client_secret: string) => {
    const answer = await postToken(server, { grant_type: 'client_credentials', client_id, client_secret, audience });
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    return answer.body.access_token as string;
  };
  const adminToken = await token(ADMIN_ID, ADMIN_SECRET);
  const limitedToken = await token('limited', LIMITED_SECRET);
  return {
    server,
    admin: managementClient(server, adminToken),
    adminToken,
    limitedToken,
    api: (path, bearer, init = {}) =>
      fetch(server.url(`/api/v2${path}`), {
        method: init.method ?? 'GET',
        headers: {
          authorization: `Bearer ${bearer}`,
          ...(init.body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        body: init.body === undefined ? undefined : JSON.stringify(init.body),
      }),
  };
}

/** Asserts the SDK's typed error: its status and Auth0's body. */
export function managementError(status: number, body: Record<string, unknown>) {
  return (error: { statusCode: number; body: Record<string, unknown> }) => {
    assert.equal(error.statusCode, status, JSON.stringify(error.body));
    assert.deepEqual(error.body, body);
    return true;
  };
}
