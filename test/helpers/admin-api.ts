// The Management API suites' shared setup: a Gatehouse with the operator's client (every Management API scope)
// and, when asked, a "limited" client with a few; the auth0 SDK's ManagementClient for a token, unchanged but for a
// fetch that sends its https requests to the test server's http URL; `api` is a raw fetch of /api/v2 for what the
// SDK cannot send (bad bodies, other tokens), and the assertions every suite makes of Auth0's error bodies.
import assert from 'node:assert/strict';
import { ManagementClient } from 'auth0';
import { RESPONSE_MISMATCH } from '../../src/http/management/response-check.js';
import type { TestDatabase } from './databases.js';
import type { TenantFile } from './fixtures.js';
import { type Endpoint, type JsonAnswer, postToken } from './http-client.js';
import { type CapturedLogs, captureLogs } from './log-capture.js';
import { freePort, type RunningGatehouse, startGatehouse } from './server.js';

export const ADMIN_ID = 'gatehouse-admin';
export const ADMIN_SECRET = 'admin-secret-0123456789-abcdefghijklmnopqrstuv';
export const LIMITED_ID = 'limited';
export const LIMITED_SECRET = 'limited-secret-0123456789-abcdefghijklmnopqrstu';
/** The environment that makes ADMIN_ID the operator's client, for a server started without startWithAdmin. */
export const adminEnv = { GATEHOUSE_ADMIN_CLIENT_ID: ADMIN_ID, GATEHOUSE_ADMIN_CLIENT_SECRET: ADMIN_SECRET };

/** A raw call's method, headers and body: a string is sent as is, anything else as JSON. */
export interface ApiInit {
  method?: string;
  body?: unknown;
  headers?: Record<string, string>;
}

export interface AdminApi {
  server: RunningGatehouse;
  /** The Management API's audience: `<issuer>api/v2/`. */
  audience: string;
  admin: ManagementClient;
  adminToken: string;
  /** A token of the "limited" client: only the scopes it was started with ('' when started without one). */
  limitedToken: string;
  /** A raw /api/v2 request with a bearer token. */
  api(path: string, token: string, init?: ApiInit): Promise<Response>;
  /** The same, read as status and JSON body. */
  call(path: string, token: string, init?: ApiInit): Promise<{ status: number; body: Record<string, unknown> }>;
  /** A fresh Management API token of a client (the operator's by default), or a failed assertion. */
  token(clientId?: string, secret?: string): Promise<string>;
  /** The SDK's ManagementClient for a token. */
  client(token: string): ManagementClient;
}

export interface AdminOptions {
  /** Adds the "limited" client (LIMITED_ID), granted these scopes on /api/v2, and fetches `limitedToken`. */
  limited?: string[];
  now?: () => number;
  /** Where the server logs, for a suite that asserts on its lines (at warn or finer); a capture at warn otherwise. */
  logs?: CapturedLogs;
  /** More GATEHOUSE_* settings (a mail server's, say). */
  env?: Record<string, string>;
}

export function managementClient(server: Endpoint, token: string): ManagementClient {
  return new ManagementClient({
    domain: new URL(server.issuer).host,
    token,
    fetch: (url, init) => fetch(String(url).replace(/^https:/, 'http:'), init),
  });
}

/** A client_credentials answer (status and JSON body) for any audience. */
export const clientCredentials = (server: Endpoint, clientId: string, secret: string, audience: string) =>
  postToken(server, { grant_type: 'client_credentials', client_id: clientId, client_secret: secret, audience });

/** An access token for the Management API (this server's, unless another audience is named), or a failed assertion. */
export async function managementToken(
  server: Endpoint,
  clientId = ADMIN_ID,
  secret = ADMIN_SECRET,
  audience = `${server.issuer}api/v2/`,
) {
  const answer: JsonAnswer = await clientCredentials(server, clientId, secret, audience);
  assert.equal(answer.status, 200, JSON.stringify(answer.body));
  return answer.body.access_token as string;
}

/** A raw /api/v2 request with a bearer token; a body that is not a string goes as JSON. */
export function apiFetch(server: Endpoint, path: string, token: string, init: ApiInit = {}) {
  const { method = 'GET', body, headers = {} } = init;
  const json = body !== undefined && typeof body !== 'string';
  const hasType = Object.keys(headers).some((name) => name.toLowerCase() === 'content-type');
  return fetch(server.url(`/api/v2${path}`), {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body !== undefined && !hasType ? { 'content-type': 'application/json' } : {}),
      ...headers,
    },
    body: json ? JSON.stringify(body) : (body as string | undefined),
  });
}

/** Fails when the server logged a Management API answer that does not match its route's response schema. */
export function assertAnswersMatchedSchemas(lines: Record<string, unknown>[]) {
  const mismatches = lines.filter((line) => line.msg === RESPONSE_MISMATCH);
  assert.deepEqual(
    mismatches.map(({ route, status, errors }) => ({ route, status, errors })),
    [],
    'every Management API answer matches its response schema',
  );
}

/**
 * Starts Gatehouse on a test database with the operator's client. The tenant may be a function of the Management
 * API's audience, for suites that grant their own clients scopes on it. Its close() also asserts that no answer of
 * the Management API differed from its route's response schema while the server ran.
 */
export async function startWithAdmin(
  db: TestDatabase,
  tenant: Partial<TenantFile> | ((audience: string) => Partial<TenantFile>),
  options: AdminOptions = {},
): Promise<AdminApi> {
  const port = await freePort();
  const audience = `http://127.0.0.1:${port}/api/v2/`;
  const file = typeof tenant === 'function' ? tenant(audience) : tenant;
  const limited = options.limited;
  const logs = options.logs ?? captureLogs('warn');
  assert.ok(logs.logger.isLevelEnabled('warn'), 'the schema check reads warn lines');
  const started = await startGatehouse({
    databaseUrl: db.url,
    port,
    now: options.now,
    logger: logs.logger,
    env: { ...adminEnv, ...options.env },
    tenant: limited
      ? {
          ...file,
          clients: [
            ...(file.clients ?? []),
            {
              client_id: LIMITED_ID,
              app_type: 'non_interactive',
              client_secret: LIMITED_SECRET,
              grant_types: ['client_credentials'],
            },
          ],
          client_grants: [...(file.client_grants ?? []), { client_id: LIMITED_ID, audience, scope: limited }],
        }
      : file,
  });
  const server: RunningGatehouse = {
    ...started,
    close: async () => {
      await started.close();
      assertAnswersMatchedSchemas(logs.lines);
    },
  };
  const token = (clientId = ADMIN_ID, secret = ADMIN_SECRET) => managementToken(server, clientId, secret);
  const adminToken = await token();
  const api = (path: string, bearer: string, init?: ApiInit) => apiFetch(server, path, bearer, init);
  return {
    server,
    audience,
    admin: managementClient(server, adminToken),
    adminToken,
    limitedToken: limited ? await token(LIMITED_ID, LIMITED_SECRET) : '',
    api,
    call: async (path, bearer, init) => {
      const response = await api(path, bearer, init);
      const text = await response.text();
      return { status: response.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
    },
    token,
    client: (bearer) => managementClient(server, bearer),
  };
}

/** What the SDK throws for an error answer: its status and Auth0's body. */
export type ManagementFailure = { statusCode: number; body: Record<string, unknown> };

/** Asserts the SDK's typed error: its status and Auth0's body. */
export function managementError(status: number, body: Record<string, unknown>) {
  return (error: ManagementFailure) => {
    assert.equal(error.statusCode, status, JSON.stringify(error.body));
    assert.deepEqual(error.body, body);
    return true;
  };
}

/** A route, the scope(s) Auth0's 403 names for it, and a body to send (if any). */
export type ScopedRoute = readonly [method: string, path: string, scope: string, body?: unknown];

/**
 * Asserts that each route refuses `token` with Auth0's 403: `Insufficient scope, expected any of: <scope>`
 * (https://auth0.com/docs/api/management/v2 — every endpoint lists the scopes it takes).
 */
export async function refusesWithoutScope(it: Pick<AdminApi, 'api'>, token: string, routes: readonly ScopedRoute[]) {
  for (const [method, path, scope, body] of routes) {
    const answer = await it.api(path, token, { method, body });
    assert.equal(answer.status, 403, `${method} ${path}`);
    assert.deepEqual(
      await answer.json(),
      {
        statusCode: 403,
        error: 'Forbidden',
        message: `Insufficient scope, expected any of: ${scope}`,
        errorCode: 'insufficient_scope',
      },
      `${method} ${path}`,
    );
  }
}
