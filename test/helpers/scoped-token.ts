// A Management API token with exactly the scopes a test names: a new client and its client grant for
// /api/v2, made through the API itself with the operator's token, then client_credentials.
import assert from 'node:assert/strict';
import { postToken } from './http-client.js';
import type { RunningGatehouse } from './server.js';

export async function scopedToken(server: RunningGatehouse, adminToken: string, scopes: string[]): Promise<string> {
  const audience = `${server.issuer}api/v2/`;
  const call = async (path: string, body: unknown) => {
    const response = await fetch(server.url(`/api/v2${path}`), {
      method: 'POST',
      headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    const json = (await response.json()) as Record<string, unknown>;
    assert.equal(response.status, 201, JSON.stringify(json));
    return json;
  };
  const client = await call('/clients', { name: `scoped ${scopes.join(' ')}`, app_type: 'non_interactive' });
  await call('/client-grants', { client_id: client.client_id, audience, scope: scopes });
  const answer = await postToken(server, {
    grant_type: 'client_credentials',
    client_id: client.client_id as string,
    client_secret: client.client_secret as string,
    audience,
  });
  assert.equal(answer.status, 200, JSON.stringify(answer.body));
  return answer.body.access_token as string;
}
