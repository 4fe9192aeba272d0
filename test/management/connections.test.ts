// /api/v2/connections through the auth0 SDK's ManagementClient: create with options, enabled clients and
// Auth0 fields kept without effect, read, list (offset with totals, checkpoint, by strategy), update (name
// and strategy fixed), the enabled-clients endpoints (a client taken off can no longer sign in through the
// connection, at once), delete (its users go with it); and the errors in Auth0's shape.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { type AdminApi, managementError, refusesWithoutScope, startWithAdmin } from '../helpers/admin-api.js';
import { forEachDatabase } from '../helpers/each-database.js';
import { alice, DB, PASSWORD, tenant, webClient } from '../helpers/fixtures.js';
import { postToken } from '../helpers/http-client.js';

const REALM = 'http://auth0.com/oauth/grant-type/password-realm';
const BACKEND_SECRET = 'backend-secret-0123456789-abcdefghijklmnopqrs';
const READER_SECRET = 'reader-secret-0123456789-abcdefghijklmnopqrst';

forEachDatabase('the Management API: connections', (db) => {
  let it: AdminApi;
  before(async () => {
    it = await startWithAdmin(db(), (audience) =>
      tenant({
        clients: [
          webClient({
            client_id: 'backend',
            client_secret: BACKEND_SECRET,
            token_endpoint_auth_method: 'client_secret_post',
            grant_types: [REALM],
            callbacks: [],
          }),
          { client_id: 'reader', app_type: 'non_interactive', client_secret: READER_SECRET },
        ],
        client_grants: [{ client_id: 'reader', audience, scope: ['read:clients'] }],
        users: [alice()],
      }),
    );
  });
  after(() => it.server.close());

  const signIn = (realm = DB) =>
    postToken(it.server, {
      grant_type: REALM,
      client_id: 'backend',
      client_secret: BACKEND_SECRET,
      username: 'alice@acme.test',
      password: PASSWORD,
      realm,
    });

  test('create, get, list, update: stored-only fields kept, name and strategy fixed', async () => {
    const created = await it.admin.connections.create({
      name: 'partners',
      strategy: 'auth0',
      options: { password_policy: 'good' },
      enabled_clients: ['backend'],
      display_name: 'Partners',
      realms: ['partners'],
    });
    assert.match(created.id ?? '', /^con_/);
    assert.deepEqual(created, {
      id: created.id,
      name: 'partners',
      strategy: 'auth0',
      options: { password_policy: 'good' },
      enabled_clients: ['backend'],
      display_name: 'Partners',
      realms: ['partners'],
    });
    assert.deepEqual(await it.admin.connections.get(created.id!), created);

    const byStrategy = await it.admin.connections.list({ strategy: ['auth0'], take: 1 });
    assert.deepEqual(
      byStrategy.data.map((c) => c.name),
      [DB],
    );
    assert.ok(byStrategy.hasNextPage(), 'a checkpoint page with a next');
    assert.deepEqual(
      (await byStrategy.getNextPage()).data.map((c) => c.name),
      ['partners'],
    );
    const totals = await it.call('/connections?include_totals=true&per_page=1&page=1', it.adminToken);
    assert.deepEqual(
      { start: totals.body.start, limit: totals.body.limit, length: totals.body.length, total: totals.body.total },
      { start: 1, limit: 1, length: 1, total: 2 },
    );
    assert.deepEqual((totals.body.connections as { name: string }[])[0].name, 'partners');
    assert.deepEqual((await it.admin.connections.list({ name: 'partners' })).data, [created]);

    const updated = await it.admin.connections.update(created.id!, {
      options: { password_policy: 'fair' },
      display_name: 'Our partners',
    });
    assert.deepEqual(updated, { ...created, options: { password_policy: 'fair' }, display_name: 'Our partners' });
    for (const field of ['name', 'strategy', 'colour'])
      assert.deepEqual(
        await it.call(`/connections/${created.id}`, it.adminToken, { method: 'PATCH', body: { [field]: 'x' } }),
        {
          status: 400,
          body: {
            statusCode: 400,
            error: 'Bad Request',
            message: `Payload validation error: 'Additional properties not allowed: ${field}'.`,
            errorCode: 'invalid_body',
          },
        },
      );
    await assert.rejects(
      it.admin.connections.create({ name: 'partners', strategy: 'email' }),
      managementError(409, {
        statusCode: 409,
        error: 'Conflict',
        message: 'A connection with the same name already exists',
        errorCode: 'conflict',
      }),
    );
    const unknownClient = await it.call('/connections', it.adminToken, {
      method: 'POST',
      body: {
        name: 'others',
        strategy: 'auth0',
        enabled_clients: ['nobody'],
      },
    });
    assert.equal(unknownClient.status, 400);
    assert.equal(
      unknownClient.body.message,
      'Payload validation error: connection: enabled_clients has "nobody", which is not a client.',
    );
  });

  test('enabled clients: a client taken off cannot sign in through the connection at once', async () => {
    const directory = (await it.admin.connections.list({ name: DB })).data[0];
    assert.equal((await signIn()).status, 200);
    const enabled = await it.admin.connections.clients.get(directory.id!, { take: 1 });
    assert.deepEqual(enabled.data, [{ client_id: 'backend' }]);
    assert.deepEqual((await enabled.getNextPage()).data, [{ client_id: 'reader' }], 'checkpoint paging');

    await it.admin.connections.clients.update(directory.id!, [{ client_id: 'backend', status: false }]);
    const refused = await signIn();
    assert.equal(refused.status, 400);
    assert.deepEqual(refused.body, { error: 'invalid_request', error_description: 'the connection is not enabled' });
    assert.deepEqual((await it.admin.connections.get(directory.id!)).enabled_clients, ['reader']);

    await it.admin.connections.clients.update(directory.id!, [{ client_id: 'backend', status: true }]);
    assert.equal((await signIn()).status, 200, 'enabled again');
  });

  test('delete: the connection and its users go; unknown ids 404; scopes 403', async () => {
    const directory = (await it.admin.connections.list({ name: DB })).data[0];
    await it.admin.connections.delete(directory.id!);
    await assert.rejects(
      it.admin.connections.get(directory.id!),
      managementError(404, {
        statusCode: 404,
        error: 'Not Found',
        message: 'The connection does not exist.',
        errorCode: 'inexistent_connection',
      }),
    );
    // The same connection again: Alice was deleted with the old one.
    await it.admin.connections.create({ name: DB, strategy: 'auth0', enabled_clients: ['backend'] });
    const again = await signIn();
    assert.deepEqual(again.body, { error: 'invalid_grant', error_description: 'Wrong email or password.' });

    const reader = await it.token('reader', READER_SECRET);
    await refusesWithoutScope(it, reader, [
      ['GET', '/connections', 'read:connections'],
      ['POST', '/connections', 'create:connections'],
      ['PATCH', '/connections/x', 'update:connections'],
      ['DELETE', '/connections/x', 'delete:connections'],
      ['GET', '/connections/x/clients', 'read:connections'],
      ['PATCH', '/connections/x/clients', 'update:connections'],
    ]);
  });

  test('delete of an unknown id: 204 as Auth0; enabled clients take up to 1000', async () => {
    const unknown = await fetch(it.server.url('/api/v2/connections/con_nothing'), {
      method: 'DELETE',
      headers: { authorization: `Bearer ${it.adminToken}` },
    });
    assert.equal(unknown.status, 204);
    const created = await it.admin.connections.create({ name: 'Spare', strategy: 'auth0' });
    assert.equal(
      (await it.call(`/connections/${created.id}/clients?take=1000`, it.adminToken, { method: 'GET' })).status,
      200,
    );
    assert.equal(
      (await it.call(`/connections/${created.id}/clients?take=1001`, it.adminToken, { method: 'GET' })).status,
      400,
    );
    const deleted = await fetch(it.server.url(`/api/v2/connections/${created.id}`), {
      method: 'DELETE',
      headers: { authorization: `Bearer ${it.adminToken}` },
    });
    assert.equal(deleted.status, 202);
  });
});
