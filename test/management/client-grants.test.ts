// /api/v2/client-grants through the auth0 SDK's ManagementClient: a new grant lets its client use
// client_credentials for the API at once, a changed one changes the next token's scopes, a deleted one stops
// it; list by offset (with totals) and by checkpoint; and the errors in Auth0's shape: an unknown client or
// API 404, a second grant for one client and API 409, an undefined scope or an unknown field 400, a token
// without the route's scope 403.
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

const ORDERS = 'https://orders.example/';
const WORKER_SECRET = 'worker-secret-0123456789-abcdefghijklmnopqrst';
const READER_SECRET = 'reader-secret-0123456789-abcdefghijklmnopqrst';

forEachDatabase('the Management API: client grants', (db) => {
  let it: AdminApi;
  before(async () => {
    it = await startWithAdmin(db(), (audience) => ({
      resource_servers: [{ identifier: ORDERS, scopes: [{ value: 'read:orders' }, { value: 'write:orders' }] }],
      clients: [
        { client_id: 'worker', app_type: 'non_interactive', client_secret: WORKER_SECRET },
        { client_id: 'reader', app_type: 'non_interactive', client_secret: READER_SECRET },
      ],
      client_grants: [
        { client_id: 'reader', audience, scope: ['read:client_grants'] },
        { client_id: 'reader', audience: ORDERS, scope: ['read:orders'] },
      ],
    }));
  });
  after(() => it.server.close());

  const workerToken = () => clientCredentials(it.server, 'worker', WORKER_SECRET, ORDERS);
  const scopeOf = (answer: { body: Record<string, unknown> }) => decodeJwt(answer.body.access_token as string).scope;

  test('create, get, list, update, delete: /oauth/token follows each at once', async () => {
    assert.equal((await workerToken()).status, 403, 'no grant yet');
    const created = await it.admin.clientGrants.create({
      client_id: 'worker',
      audience: ORDERS,
      scope: ['read:orders'],
    });
    assert.match(created.id ?? '', /^cgr_/);
    assert.deepEqual(created, { id: created.id, client_id: 'worker', audience: ORDERS, scope: ['read:orders'] });
    const granted = await workerToken();
    assert.equal(granted.status, 200, JSON.stringify(granted.body));
    assert.equal(scopeOf(granted), 'read:orders');

    assert.deepEqual(await it.admin.clientGrants.get(created.id!), created);
    // The SDK pages by checkpoint (take, from); Auth0's offset paging answers with totals.
    const page = await it.admin.clientGrants.list({ client_id: 'worker' });
    assert.deepEqual(page.data, [created]);
    const totals = await it.call(`/client-grants?audience=${ORDERS}&include_totals=true`, it.adminToken);
    const readers = (totals.body.client_grants as { id: string }[])[0].id;
    assert.deepEqual(totals.body, {
      start: 0,
      limit: 50,
      length: 2,
      total: 2,
      client_grants: [{ id: readers, client_id: 'reader', audience: ORDERS, scope: ['read:orders'] }, created],
    });
    const first = await it.call(`/client-grants?audience=${ORDERS}&take=1`, it.adminToken);
    assert.equal((first.body.client_grants as unknown[]).length, 1);
    assert.equal(typeof first.body.next, 'string');
    const second = await it.call(`/client-grants?audience=${ORDERS}&take=1&from=${first.body.next}`, it.adminToken);
    assert.deepEqual(second.body, { client_grants: [created] }, 'the last page has no next');

    const updated = await it.admin.clientGrants.update(created.id!, { scope: ['read:orders', 'write:orders'] });
    assert.deepEqual(updated.scope, ['read:orders', 'write:orders']);
    assert.equal(scopeOf(await workerToken()), 'read:orders write:orders');

    await assert.rejects(
      it.admin.clientGrants.create({ client_id: 'worker', audience: ORDERS, scope: [] }),
      managementError(409, {
        statusCode: 409,
        error: 'Conflict',
        message: 'A client grant for this client and audience already exists',
        errorCode: 'conflict',
      }),
    );

    await it.admin.clientGrants.delete(created.id!);
    assert.equal((await workerToken()).status, 403, 'deleted: no more tokens');
    await assert.rejects(
      it.admin.clientGrants.get(created.id!),
      managementError(404, {
        statusCode: 404,
        error: 'Not Found',
        message: 'The client grant does not exist.',
        errorCode: 'inexistent_client_grant',
      }),
    );
  });

  test('refused: an unknown client or API 404, an undefined scope or an unknown field 400', async () => {
    const cases = [
      {
        body: { client_id: 'nobody', audience: ORDERS, scope: [] },
        status: 404,
        answer: { message: 'The client does not exist.', errorCode: 'inexistent_client' },
      },
      {
        body: { client_id: 'worker', audience: 'https://nowhere.example/', scope: [] },
        status: 404,
        answer: {
          message: 'No resource with identifier https://nowhere.example/',
          errorCode: 'inexistent_resource_server',
        },
      },
      {
        body: { client_id: 'worker', audience: ORDERS, scope: ['delete:orders'] },
        status: 400,
        answer: {
          message:
            'Payload validation error: client grant: scope delete:orders is not defined by https://orders.example/.',
          errorCode: 'invalid_body',
        },
      },
      {
        body: { client_id: 'worker', audience: ORDERS, scope: [], colour: 'red' },
        status: 400,
        answer: {
          message: "Payload validation error: 'Additional properties not allowed: colour'.",
          errorCode: 'invalid_body',
        },
      },
    ];
    for (const { body, status, answer } of cases) {
      const got = await it.call('/client-grants', it.adminToken, { method: 'POST', body });
      assert.equal(got.status, status, JSON.stringify(body));
      assert.deepEqual(got.body, {
        statusCode: status,
        error: status === 404 ? 'Not Found' : 'Bad Request',
        ...answer,
      });
    }
    const patch = await it.call('/client-grants/cgr_nope', it.adminToken, {
      method: 'PATCH',
      body: { audience: ORDERS },
    });
    assert.equal(patch.status, 400);
    const list = await it.admin.clientGrants.list({ client_id: 'worker' });
    assert.deepEqual(list.data, [], 'nothing was created');
  });

  test("a token without the route's scope: 403", async () => {
    const reader = await it.token('reader', READER_SECRET);
    const listed = await it.call('/client-grants?client_id=reader', reader);
    assert.equal(listed.status, 200);
    assert.equal((listed.body as unknown as unknown[]).length, 2);
    const grantId = (listed.body as unknown as { id: string }[])[0].id;
    await refusesWithoutScope(it, reader, [
      ['POST', '/client-grants', 'create:client_grants', { client_id: 'reader', audience: ORDERS, scope: [] }],
      ['PATCH', `/client-grants/${grantId}`, 'update:client_grants', { scope: [] }],
      ['DELETE', `/client-grants/${grantId}`, 'delete:client_grants', undefined],
    ]);
  });
});
