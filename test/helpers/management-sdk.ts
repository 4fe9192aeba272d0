// The Management API suites' shared setup: a Gatehouse with the operator's client (every Management API
// scope), the auth0 SDK's ManagementClient unchanged but for a fetch that sends its https requests to the
// test server's http URL, and raw calls for what the SDK would not send (bad bodies, other tokens).
import assert from 'node:assert/strict';
import { ManagementClient } from 'auth0';
import { type Endpoint, postToken } from './http-client.js';

export const ADMIN_ID = 'gatehouse-admin';
export const ADMIN_SECRET = 'admin-secret-0123456789-abcdefghijklmnopqrstuv';
export const adminEnv = { GATEHOUSE_ADMIN_CLIENT_ID: ADMIN_ID, GATEHOUSE_ADMIN_CLIENT_SECRET: ADMIN_SECRET };

/** A client_credentials answer: status and JSON body. */
export const clientCredentials = (server: Endpoint, clientId: string, secret: string, audience: string) =>
  postToken(server, { grant_type: 'client_credentials', client_id: clientId, client_secret: secret, audience });

/** An access token for the Management API, or a failed assertion. */
export async function managementToken(server: Endpoint, clientId = ADMIN_ID, secret = ADMIN_SECRET) {
  const answer = await clientCredentials(server, clientId, secret, `${server.issuer}api/v2/`);
  assert.equal(answer.status, 200, JSON.stringify(answer.body));
  return answer.body.access_token as string;
}

export const managementClient = (server: Endpoint, token: string) =>
  new ManagementClient({
    domain: new URL(server.issuer).host,
    token,
    fetch: (url, init) => fetch(String(url).replace(/^https:/, 'http:'), init),
  });

/** A raw /api/v2 call with a bearer token and, for a body, JSON. */
export async function callApi(
  server: Endpoint,
  token: string,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const headers: Record<string, string> = { authorization: `Bearer ${token}` };
  if (body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(server.url(`/api/v2${path}`), {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

/** The SDK's typed error: its status and Auth0's body. */
export function sdkError(statusCode: number, body: Record<string, unknown>) {
  return (error: { statusCode: number; body: unknown }) => {
    assert.equal(error.statusCode, statusCode);
    assert.deepEqual(error.body, body);
    return true;
  };
}
