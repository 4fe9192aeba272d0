// /api/v2/clients through the auth0 SDK's ManagementClient, unchanged but for a fetch that sends its https
// requests to the test server's http URL: create, read, list with totals, update, rotate the secret (the
// old one refused at /oauth/token at once, the new one taken), delete (its secret refused); and the errors
// in Auth0's shape: no token and another API's token 401, a missing scope 403, an unknown id 404, a bad body 400.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import {
  ADMIN_ID,
  type AdminApi,
  clientCredentials,
  LIMITED_ID,
  LIMITED_SECRET,
  managementError,
  startWithAdmin,
} from '../helpers/admin-api.js';
import { forEachDatabase } from '../helpers/each-database.js';
import { scopedToken } from '../helpers/scoped-token.js';

const OTHER_API = 'https://orders.example/';

forEachDatabase('the Management API: clients', (db) => {
  let it: AdminApi;

  const tokenFor = (clientId: string, secret: string, audience: string) =>
    clientCredentials(it.server, clientId, secret, audience);

  before(async () => {
    it = await startWithAdmin(
      db(),
      {
        resource_servers: [{ identifier: OTHER_API, scopes: [{ value: 'read:orders' }] }],
        client_grants: [{ client_id: LIMITED_ID, audience: OTHER_API, scope: ['read:orders'] }],
      },
      { limited: ['read:clients'] },
    );
  });
  after(() => it.server.close());

  test('create, get, list with totals, update, rotate the secret, delete', async () => {
    const created = await it.admin.clients.create({ name: 'Reports', app_type: 'non_interactive' });
    const id = created.client_id!;
    assert.match(created.client_secret ?? '', /^[A-Za-z0-9_-]{43}$/);
    assert.equal(created.name, 'Reports');
    assert.deepEqual(created.grant_types, ['client_credentials']);
    assert.equal((await tokenFor(id, created.client_secret!, OTHER_API)).status, 403, 'no grant for that API yet');

    const read = await it.admin.clients.get(id);
    assert.equal(read.client_secret, created.client_secret, 'the admin token has read:client_keys');

    const page = await it.admin.clients.list({ include_totals: true, per_page: 1, app_type: 'non_interactive' });
    const raw = (await it.call('/clients?include_totals=true&per_page=1&app_type=non_interactive', it.adminToken)).body;
    assert.deepEqual(
      { start: raw.start, limit: raw.limit, length: raw.length, total: raw.total },
      { start: 0, limit: 1, length: 1, total: 3 },
    );
    assert.equal(page.data.length, 1);

    const updated = await it.admin.clients.update(id, { name: 'Reports v2', callbacks: ['https://app.example/cb'] });
    assert.equal(updated.name, 'Reports v2');
    assert.deepEqual(updated.callbacks, ['https://app.example/cb']);

    const rotated = await it.admin.clients.rotateSecret(id);
    assert.notEqual(rotated.client_secret, created.client_secret);
    const grant = { client_id: id, audience: it.audience };
    // No grant for the Management API: both secrets are tried against an audience the client may not have,
    // so authentication is what tells them apart (invalid_client 401 against access_denied 403).
    assert.equal((await tokenFor(id, created.client_secret!, grant.audience)).status, 401, 'old secret refused');
    assert.equal((await tokenFor(id, rotated.client_secret!, grant.audience)).status, 403, 'new secret accepted');

    await it.admin.clients.delete(id);
    assert.equal((await tokenFor(id, rotated.client_secret!, grant.audience)).status, 401, 'deleted: refused');
    await assert.rejects(
      it.admin.clients.get(id),
      managementError(404, {
        statusCode: 404,
        error: 'Not Found',
        message: 'The client does not exist.',
        errorCode: 'inexistent_client',
      }),
    );
  });

  test("no token, another API's token: 401", async () => {
    const none = await fetch(it.server.url('/api/v2/clients'));
    assert.equal(none.status, 401);
    assert.deepEqual(await none.json(), {
      statusCode: 401,
      error: 'Unauthorized',
      message: 'Missing authentication',
      errorCode: 'invalid_token',
    });
    const other = await tokenFor(LIMITED_ID, LIMITED_SECRET, OTHER_API);
    const wrong = await it.api('/clients', other.body.access_token as string);
    assert.equal(wrong.status, 401);
    assert.equal(((await wrong.json()) as { errorCode: string }).errorCode, 'invalid_token');
  });

  test("a token without the route's scope: 403; without read:client_keys no secret", async () => {
    const limited = it.client(it.limitedToken);
    const read = await limited.clients.get(ADMIN_ID);
    assert.equal(read.client_id, ADMIN_ID);
    assert.equal(read.client_secret, undefined);
    await assert.rejects(
      limited.clients.create({ name: 'Nope' }),
      managementError(403, {
        statusCode: 403,
        error: 'Forbidden',
        message: 'Insufficient scope, expected any of: create:clients',
        errorCode: 'insufficient_scope',
      }),
    );
  });

  test('a bad body: 400 invalid_body, nothing created', async () => {
    const unknownField = await it.api('/clients', it.adminToken, {
      method: 'POST',
      body: { name: 'X', colour: 'red' },
    });
    assert.equal(unknownField.status, 400);
    const body = (await unknownField.json()) as Record<string, unknown>;
    assert.equal(body.errorCode, 'invalid_body');
    assert.match(String(body.message), /^Payload validation error: 'Additional properties not allowed: colour'/);
    // The tenant file's own rule: a public client cannot use client_credentials.
    const publicM2m = await it.api('/clients', it.adminToken, {
      method: 'POST',
      body: { name: 'X', token_endpoint_auth_method: 'none', grant_types: ['client_credentials'] },
    });
    assert.equal(publicM2m.status, 400);
    assert.match(String(((await publicM2m.json()) as { message: string }).message), /public client/);
    const list = (await it.api('/clients', it.adminToken).then((r) => r.json())) as { name: string }[];
    assert.ok(!list.some((c) => c.name === 'X'));
  });

  test('Auth0 fields Gatehouse does not act on are kept and returned; security settings it lacks are refused', async () => {
    const created = await it.admin.clients.create({
      name: 'Legacy',
      oidc_conformant: true,
      sso_disabled: false,
      client_metadata: { team: 'billing' },
      organization_usage: 'deny',
    });
    const { oidc_conformant, sso_disabled, client_metadata, organization_usage } = created;
    assert.deepEqual(
      { oidc_conformant, sso_disabled, client_metadata, organization_usage },
      { oidc_conformant: true, sso_disabled: false, client_metadata: { team: 'billing' }, organization_usage: 'deny' },
    );
    const updated = await it.admin.clients.update(created.client_id!, { client_metadata: { team: 'payments' } });
    assert.deepEqual(updated.client_metadata, { team: 'payments' });
    assert.equal((await it.admin.clients.get(created.client_id!)).oidc_conformant, true, 'kept by the update');
    const par = await it.api('/clients', it.adminToken, {
      method: 'POST',
      body: { name: 'X', require_pushed_authorization_requests: true },
    });
    assert.equal(par.status, 400);
    assert.equal(
      ((await par.json()) as { message: string }).message,
      "Payload validation error: 'Additional properties not allowed: require_pushed_authorization_requests'.",
    );
    await it.admin.clients.delete(created.client_id!);
  });

  const getWith = async (token: string, path: string, init: RequestInit = {}) => {
    const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
    const response = await fetch(it.server.url(`/api/v2${path}`), { ...init, headers });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> & { length: number } };
  };

  test("Auth0's other read scopes: read:client_summary sees four fields, read:client_credentials the secret", async () => {
    const admin = it.adminToken;
    const created = await getWith(admin, '/clients', {
      method: 'POST',
      body: JSON.stringify({ name: 'Scoped', description: 'd', app_type: 'non_interactive' }),
    });
    const id = created.body.client_id as string;
    const summary = await scopedToken(it.server, admin, ['read:client_summary']);
    const one = await getWith(summary, `/clients/${id}`);
    assert.equal(one.status, 200, JSON.stringify(one.body));
    assert.deepEqual(one.body, { client_id: id, app_type: 'non_interactive', name: 'Scoped', description: 'd' });
    const listed = await getWith(summary, '/clients?per_page=100');
    assert.equal(listed.status, 200);
    for (const client of listed.body as unknown as Record<string, unknown>[])
      assert.deepEqual(
        Object.keys(client).sort(),
        ['app_type', 'client_id', 'description', 'name'].filter((k) => k in client),
      );

    const credentials = await scopedToken(it.server, admin, ['read:client_credentials']);
    const full = await getWith(credentials, `/clients/${id}`);
    assert.equal(full.status, 200);
    assert.equal(full.body.client_secret, created.body.client_secret);
    assert.deepEqual(full.body.grant_types, ['client_credentials']);

    const updater = await scopedToken(it.server, admin, ['update:client_credentials']);
    const patched = await getWith(updater, `/clients/${id}`, {
      method: 'PATCH',
      body: JSON.stringify({ name: 'Scoped 2' }),
    });
    assert.equal(patched.status, 200, JSON.stringify(patched.body));
    assert.equal(patched.body.name, 'Scoped 2');
    assert.equal(patched.body.client_secret, undefined, 'no read scope for the secret');
    const deleted = await fetch(it.server.url(`/api/v2${`/clients/${id}`}`), {
      method: 'DELETE',
      headers: { authorization: `Bearer ${admin}` },
    });
    assert.equal(deleted.status, 204);
  });

  test('checkpoint paging (from/take), per_page=0, the other app types, and q refused', async () => {
    const admin = it.adminToken;
    const all = (await getWith(admin, '/clients?per_page=100')).body as unknown as { client_id: string }[];
    assert.ok(all.length >= 3);
    const first = await getWith(admin, '/clients?take=2');
    assert.equal(first.status, 200);
    assert.deepEqual(
      (first.body.clients as { client_id: string }[]).map((c) => c.client_id),
      all.slice(0, 2).map((c) => c.client_id),
    );
    assert.equal(first.body.next, all[2].client_id);
    const rest = await getWith(admin, `/clients?take=100&from=${encodeURIComponent(String(first.body.next))}`);
    assert.deepEqual(
      (rest.body.clients as { client_id: string }[]).map((c) => c.client_id),
      all.slice(2).map((c) => c.client_id),
    );
    assert.equal(rest.body.next, undefined, 'the last page has no next');

    const totals = await getWith(admin, '/clients?per_page=0&include_totals=true');
    assert.equal(totals.status, 200);
    assert.deepEqual(
      { ...totals.body, clients: totals.body.clients },
      {
        start: 0,
        limit: 0,
        length: 0,
        total: all.length,
        clients: [],
      },
    );

    for (const type of ['resource_server', 'sso_integration', 'express_configuration', 'zoom']) {
      const none = await getWith(admin, `/clients?app_type=${type}`);
      assert.equal(none.status, 200, type);
      assert.deepEqual(none.body, []);
    }
    assert.equal((await getWith(admin, '/clients?app_type=mainframe')).status, 400);

    const search = await getWith(admin, '/clients?q=name:Reports');
    assert.equal(search.status, 400);
    assert.equal(search.body.errorCode, 'invalid_query_string');
    assert.match(String(search.body.message), /^Query validation error: 'q' is not supported/);
  });
});
