// /api/v2/resource-servers through the auth0 SDK's ManagementClient: create, read by id and by identifier,
// list with totals, update (the next token has the new lifetime and may carry the new scope), delete (its
// client grants and role permissions go with it); a field Auth0 has but Gatehouse does not act on is kept and
// returned; the Management API itself cannot be changed or deleted; and the errors in Auth0's shape.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { decodeJwt } from 'jose';
import {
  type AdminApi,
  clientCredentials,
  managementError,
  refusesWithoutScope,
  startWithAdmin,
} from '../helpers/admin-api.js';
import { forEachDatabase } from '../helpers/each-database.js';
import { alice, PASSWORD, scopes, tenant, webClient } from '../helpers/fixtures.js';
import { postToken } from '../helpers/http-client.js';

const BILLING = 'https://billing.example/';
const AUDIT = 'https://audit.example/';
const WORKER_SECRET = 'worker-secret-0123456789-abcdefghijklmnopqrst';
const BACKEND_SECRET = 'backend-secret-0123456789-abcdefghijklmnopqrs';

forEachDatabase('the Management API: resource servers', (db) => {
  let it: AdminApi;

  before(async () => {
    it = await startWithAdmin(
      db(),
      tenant({
        resource_servers: [
          // Role-based access control: the token lists the user's permissions for this API.
          {
            identifier: AUDIT,
            scopes: scopes('read:audit'),
            enforce_policies: true,
            token_dialect: 'access_token_authz',
          },
        ],
        clients: [
          { client_id: 'worker', app_type: 'non_interactive', client_secret: WORKER_SECRET },
          webClient({
            client_id: 'backend',
            client_secret: BACKEND_SECRET,
            token_endpoint_auth_method: 'client_secret_post',
            grant_types: ['password'],
            callbacks: [],
          }),
        ],
        users: [alice()],
        roles: [
          {
            name: 'auditor',
            permissions: [{ resource_server_identifier: AUDIT, permission_name: 'read:audit' }],
            users: ['alice@acme.test'],
          },
        ],
      }),
    );
  });
  after(() => it.server.close());

  const workerToken = () => clientCredentials(it.server, 'worker', WORKER_SECRET, BILLING);
  const alicesToken = () =>
    postToken(it.server, {
      grant_type: 'password',
      client_id: 'backend',
      client_secret: BACKEND_SECRET,
      username: 'alice@acme.test',
      password: PASSWORD,
      audience: AUDIT,
    });

  test('create, get by id and identifier, list, update (the next token follows), delete with its grants', async () => {
    const created = await it.admin.resourceServers.create({
      identifier: BILLING,
      name: 'Billing',
      scopes: [{ value: 'read:invoices', description: 'Read invoices' }],
      token_lifetime: 3600,
      // Auth0 has it; Gatehouse keeps and returns it without acting on it.
      allow_online_access: true,
    });
    assert.match(created.id ?? '', /^[a-z0-9]{24}$/);
    assert.deepEqual(created, {
      id: created.id,
      identifier: BILLING,
      name: 'Billing',
      scopes: [{ value: 'read:invoices', description: 'Read invoices' }],
      signing_alg: 'RS256',
      token_lifetime: 3600,
      token_lifetime_for_web: 7200,
      allow_offline_access: false,
      skip_consent_for_verifiable_first_party_clients: true,
      enforce_policies: false,
      token_dialect: 'access_token',
      is_system: false,
      allow_online_access: true,
    });
    assert.deepEqual(await it.admin.resourceServers.get(created.id!), created);
    assert.deepEqual(await it.admin.resourceServers.get(BILLING), created, 'Auth0 takes the identifier too');

    const page = await it.admin.resourceServers.list({ include_totals: true, per_page: 1, page: 2 });
    assert.equal(page.data.length, 1);
    const raw = await it.call('/resource-servers?include_totals=true&per_page=1&page=2', it.adminToken);
    assert.deepEqual(
      { start: raw.body.start, limit: raw.body.limit, length: raw.body.length, total: raw.body.total },
      { start: 2, limit: 1, length: 1, total: 3 },
      'the Management API, the audit API and Billing',
    );

    const grant = await it.admin.clientGrants.create({
      client_id: 'worker',
      audience: BILLING,
      scope: ['read:invoices'],
    });
    const before = await workerToken();
    assert.equal(before.status, 200, JSON.stringify(before.body));
    const claims = decodeJwt(before.body.access_token as string);
    assert.equal(claims.exp! - claims.iat!, 3600);

    const updated = await it.admin.resourceServers.update(created.id!, {
      token_lifetime: 600,
      scopes: [{ value: 'read:invoices' }, { value: 'write:invoices' }],
    });
    assert.equal(updated.token_lifetime, 600);
    assert.equal(updated.allow_online_access, true, 'kept');
    await it.admin.clientGrants.update(grant.id!, { scope: ['read:invoices', 'write:invoices'] });
    const after = decodeJwt((await workerToken()).body.access_token as string);
    assert.equal(after.exp! - after.iat!, 600);
    assert.equal(after.scope, 'read:invoices write:invoices');

    await it.admin.resourceServers.delete(BILLING);
    assert.equal((await workerToken()).status, 403, 'the API is gone');
    assert.deepEqual((await it.admin.clientGrants.list({ audience: BILLING })).data, [], 'its grant went with it');
    await assert.rejects(
      it.admin.resourceServers.get(created.id!),
      managementError(404, {
        statusCode: 404,
        error: 'Not Found',
        message: 'The resource server does not exist.',
        errorCode: 'inexistent_resource_server',
      }),
    );
  });

  test("deleting an API removes the roles' permissions for it", async () => {
    const first = await alicesToken();
    assert.equal(first.status, 200, JSON.stringify(first.body));
    assert.deepEqual(decodeJwt(first.body.access_token as string).permissions, ['read:audit']);
    const audit = await it.admin.resourceServers.get(AUDIT);
    await it.admin.resourceServers.delete(audit.id!);
    // The same API again: the auditor role held read:audit for the old one, and holds nothing now.
    await it.admin.resourceServers.create({
      identifier: AUDIT,
      scopes: [{ value: 'read:audit' }],
      enforce_policies: true,
      token_dialect: 'access_token_authz',
    });
    const again = await alicesToken();
    assert.equal(again.status, 200, JSON.stringify(again.body));
    assert.deepEqual(decodeJwt(again.body.access_token as string).permissions, []);
  });

  test('the Management API cannot be changed or deleted; a taken identifier 409; a bad body 400', async () => {
    const audience = it.audience;
    const refused = {
      statusCode: 403,
      error: 'Forbidden',
      message: 'The Management API is built in and cannot be changed or deleted',
      errorCode: 'operation_not_supported',
    };
    await assert.rejects(
      it.admin.resourceServers.update(audience, { token_lifetime: 60 }),
      managementError(403, refused),
    );
    await assert.rejects(it.admin.resourceServers.delete(audience), managementError(403, refused));
    assert.equal((await it.admin.resourceServers.get(audience)).is_system, true);
    await assert.rejects(
      it.admin.resourceServers.create({ identifier: audience }),
      managementError(409, {
        statusCode: 409,
        error: 'Conflict',
        message: 'A resource server with the same identifier already exists',
        errorCode: 'conflict',
      }),
    );
    for (const [method, path, body, field] of [
      ['POST', '/resource-servers', { identifier: 'https://x.example/', colour: 'red' }, 'colour'],
      ['PATCH', `/resource-servers/${encodeURIComponent(AUDIT)}`, { identifier: 'https://y.example/' }, 'identifier'],
      ['POST', '/resource-servers', { identifier: 'https://x.example/', signing_secret: 'shh' }, 'signing_secret'],
    ] as const) {
      const got = await it.call(path, it.adminToken, { method, body });
      assert.deepEqual(got, {
        status: 400,
        body: {
          statusCode: 400,
          error: 'Bad Request',
          message: `Payload validation error: 'Additional properties not allowed: ${field}'.`,
          errorCode: 'invalid_body',
        },
      });
    }
  });

  test("a token without the route's scope: 403", async () => {
    await it.admin.clientGrants.create({
      client_id: 'worker',
      audience: it.audience,
      scope: ['read:clients'],
    });
    const worker = await it.token('worker', WORKER_SECRET);
    await refusesWithoutScope(it, worker, [
      ['GET', '/resource-servers', 'read:resource_servers'],
      ['GET', '/resource-servers/x', 'read:resource_servers'],
      ['POST', '/resource-servers', 'create:resource_servers'],
      ['PATCH', '/resource-servers/x', 'update:resource_servers'],
      ['DELETE', '/resource-servers/x', 'delete:resource_servers'],
    ]);
  });

  test('list: the identifiers filter, once or repeated', async () => {
    const made = ['https://one.example/', 'https://two.example/', 'https://three.example/'];
    for (const identifier of made) await it.admin.resourceServers.create({ identifier, name: identifier });
    const param = (ids: string[]) => ids.map((id) => `identifiers=${encodeURIComponent(id)}`).join('&');
    const one = await it.call(`/resource-servers?${param([made[1]])}`, it.adminToken, { method: 'GET' });
    assert.deepEqual(
      (one.body as unknown as { identifier: string }[]).map((r) => r.identifier),
      [made[1]],
    );
    const two = await it.call(`/resource-servers?include_totals=true&${param([made[2], made[0]])}`, it.adminToken, {
      method: 'GET',
    });
    assert.equal(two.body.total, 2);
    assert.deepEqual(
      (two.body.resource_servers as { identifier: string }[]).map((r) => r.identifier),
      [made[0], made[2]],
    );
    const sdk = await it.admin.resourceServers.list({ identifiers: [made[0]] });
    assert.deepEqual(
      sdk.data.map((r) => r.identifier),
      [made[0]],
    );
  });
});
