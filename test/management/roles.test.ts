// /api/v2/roles, a role's permissions and users, and a user's roles and direct permissions, through the auth0
// SDK's ManagementClient: create, read, list with totals and name_filter, update, delete (its permissions and
// members go with it); permissions that are no API's scope refused 400; unknown roles and users 404; a
// duplicate name 409. End to end: a user given a role and a direct permission through the API finds both in
// the `permissions` claim of the next access token for an RBAC API after signing in on the login page.
// Each route also refuses a token without its scope (403) and a body that breaks its schema (400).
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createLocalJWKSet, jwtVerify } from 'jose';
import { type AdminApi, managementError, refusesWithoutScope, startWithAdmin } from '../helpers/admin-api.js';
import { forEachDatabase } from '../helpers/each-database.js';
import { API, CALLBACK, signInTenant, users, WEB_SECRET } from '../helpers/fixtures.js';
import { basicAuth, CookieJarClient, pkcePair, postToken, signIn } from '../helpers/http-client.js';

const { user_id: BOB } = users.bob;
const { user_id: DAVE } = users.dave;
const { user_id: ERIN } = users.erin;
const perm = (permission_name: string) => ({ resource_server_identifier: API, permission_name });

forEachDatabase('the Management API: roles and permissions', (db) => {
  let it: AdminApi;
  before(async () => {
    it = await startWithAdmin(db(), signInTenant(), { limited: ['read:clients'] });
  });
  after(() => it.server.close());

  test('create, get, list with totals and name_filter, update, delete; a duplicate name is 409', async () => {
    const { admin } = it;
    const created = await admin.roles.create({ name: 'Editor', description: 'Edits items' });
    assert.match(created.id ?? '', /^rol_[A-Za-z0-9]{16}$/);
    assert.deepEqual(created, { id: created.id, name: 'Editor', description: 'Edits items' });
    await assert.rejects(
      admin.roles.create({ name: 'Editor' }),
      managementError(409, {
        statusCode: 409,
        error: 'Conflict',
        message: 'The role already exists.',
        errorCode: 'role_conflict',
      }),
    );
    assert.deepEqual(await admin.roles.get(created.id!), created);

    const raw = (await (await it.api('/roles?include_totals=true&name_filter=EDIT', it.adminToken)).json()) as Record<
      string,
      unknown
    >;
    assert.deepEqual(raw, { start: 0, limit: 50, length: 1, total: 1, roles: [created] });
    const all = await admin.roles.list({ include_totals: true, per_page: 1 });
    assert.equal(all.data.length, 1);
    assert.equal(all.data[0].name, 'Editor', 'by name: Editor before reader');

    const updated = await admin.roles.update(created.id!, { name: 'Writer', description: 'Writes items' });
    assert.deepEqual(updated, { id: created.id, name: 'Writer', description: 'Writes items' });
    await assert.rejects(
      admin.roles.update(created.id!, { name: 'reader' }),
      managementError(409, {
        statusCode: 409,
        error: 'Conflict',
        message: 'The role already exists.',
        errorCode: 'role_conflict',
      }),
    );

    await admin.roles.delete(created.id!);
    await assert.rejects(
      admin.roles.get(created.id!),
      managementError(404, {
        statusCode: 404,
        error: 'Not Found',
        message: 'The role does not exist.',
        errorCode: 'inexistent_role',
      }),
    );
  });

  test("a role's permissions and users; deleting the role takes both with it", async () => {
    const { admin } = it;
    const role = await admin.roles.create({ name: 'Curator' });
    await admin.roles.permissions.add(role.id!, { permissions: [perm('write:items'), perm('read:items')] });
    await admin.roles.permissions.add(role.id!, { permissions: [perm('read:items')] });
    const listed = (await (
      await it.api(`/roles/${role.id}/permissions?include_totals=true`, it.adminToken)
    ).json()) as {
      total: number;
      permissions: unknown[];
    };
    assert.equal(listed.total, 2);
    assert.deepEqual(listed.permissions, [
      {
        resource_server_identifier: API,
        permission_name: 'read:items',
        resource_server_name: 'Acme API',
        description: '',
      },
      {
        resource_server_identifier: API,
        permission_name: 'write:items',
        resource_server_name: 'Acme API',
        description: '',
      },
    ]);
    await assert.rejects(
      admin.roles.permissions.add(role.id!, { permissions: [perm('fly:items')] }),
      managementError(400, {
        statusCode: 400,
        error: 'Bad Request',
        message: `Payload validation error: permissions: permission "fly:items" is not a scope of ${API}.`,
        errorCode: 'invalid_body',
      }),
    );
    const removed = await it.api(`/roles/${role.id}/permissions`, it.adminToken, {
      method: 'DELETE',
      body: { permissions: [perm('write:items')] },
    });
    assert.equal(removed.status, 200, 'Auth0 answers 200');
    const left = await admin.roles.permissions.list(role.id!);
    assert.deepEqual(
      left.data.map((p) => p.permission_name),
      ['read:items'],
    );

    await admin.roles.users.assign(role.id!, { users: [DAVE, BOB] });
    const members = await admin.roles.users.list(role.id!, { take: 1 });
    assert.deepEqual(members.data, [{ user_id: BOB, email: 'bob@acme.test' }]);
    assert.ok(members.hasNextPage());
    assert.deepEqual((await members.getNextPage()).data, [{ user_id: DAVE, email: 'dave@acme.test' }]);
    const offset = (await (
      await it.api(`/roles/${role.id}/users?include_totals=true&per_page=1&page=1`, it.adminToken)
    ).json()) as Record<string, unknown>;
    assert.deepEqual(offset, {
      start: 1,
      limit: 1,
      length: 1,
      total: 2,
      users: [{ user_id: DAVE, email: 'dave@acme.test' }],
    });
    await assert.rejects(
      admin.roles.users.assign(role.id!, { users: ['nobody'] }),
      managementError(404, {
        statusCode: 404,
        error: 'Not Found',
        message: 'The user does not exist.',
        errorCode: 'inexistent_user',
      }),
    );

    await admin.roles.delete(role.id!);
    assert.deepEqual((await admin.users.roles.list(BOB)).data, []);
    const store = it.server.gatehouse.store;
    assert.deepEqual(await store.roles.permissions(role.id!), []);
    assert.deepEqual(await store.roles.members(role.id!), []);
  });

  test("a user's roles and direct permissions; unknown users and roles are 404", async () => {
    const { admin } = it;
    const role = await admin.roles.create({ name: 'Auditor', description: 'Reads' });
    await admin.users.roles.assign(ERIN, { roles: [role.id!] });
    const reader = (await admin.roles.list({ name_filter: 'reader' })).data[0];
    await admin.users.roles.assign(ERIN, { roles: [reader.id!, role.id!] });
    const roles = await admin.users.roles.list(ERIN, { include_totals: true });
    assert.deepEqual(
      roles.data.map((r) => r.name),
      ['Auditor', 'reader'],
    );
    await admin.users.roles.delete(ERIN, { roles: [reader.id!] });
    assert.deepEqual(
      (await admin.users.roles.list(ERIN)).data.map((r) => r.name),
      ['Auditor'],
    );
    await assert.rejects(
      admin.users.roles.assign(ERIN, { roles: ['rol_missing'] }),
      managementError(404, {
        statusCode: 404,
        error: 'Not Found',
        message: 'The role does not exist.',
        errorCode: 'inexistent_role',
      }),
    );
    await assert.rejects(admin.users.roles.list('nobody'), (error: { statusCode: number }) => error.statusCode === 404);

    await admin.users.permissions.create(ERIN, { permissions: [perm('delete:items')] });
    await admin.roles.permissions.add(role.id!, { permissions: [perm('delete:items'), perm('read:items')] });
    const direct = await admin.users.permissions.list(ERIN, { include_totals: true });
    // Auth0 lists the role's permissions too, each with its sources.
    assert.deepEqual(direct.data, [
      {
        resource_server_identifier: API,
        permission_name: 'delete:items',
        resource_server_name: 'Acme API',
        description: '',
        sources: [
          { source_id: '', source_name: '', source_type: 'DIRECT' },
          { source_id: role.id, source_name: 'Auditor', source_type: 'ROLE' },
        ],
      },
      {
        resource_server_identifier: API,
        permission_name: 'read:items',
        resource_server_name: 'Acme API',
        description: '',
        sources: [{ source_id: role.id, source_name: 'Auditor', source_type: 'ROLE' }],
      },
    ]);
    assert.equal((direct.response as { total?: number }).total, 2);
    await admin.roles.permissions.delete(role.id!, { permissions: [perm('delete:items'), perm('read:items')] });
    await assert.rejects(
      admin.users.permissions.create(ERIN, {
        permissions: [{ resource_server_identifier: 'https://nowhere.test', permission_name: 'x' }],
      }),
      (error: { statusCode: number }) => error.statusCode === 400,
    );
    await admin.users.permissions.delete(ERIN, { permissions: [perm('delete:items')] });
    assert.deepEqual((await admin.users.permissions.list(ERIN)).data, []);
    await assert.rejects(
      admin.users.permissions.list('nobody'),
      managementError(404, {
        statusCode: 404,
        error: 'Not Found',
        message: 'The user does not exist.',
        errorCode: 'inexistent_user',
      }),
    );
  });

  test('a role and a direct permission given through the API are in the next access token for an RBAC API', async () => {
    const { admin } = it;
    const role = await admin.roles.create({ name: 'Publisher' });
    await admin.roles.permissions.add(role.id!, { permissions: [perm('write:items')] });
    await admin.users.roles.assign(users.bob.user_id, { roles: [role.id!] });
    await admin.users.permissions.create(users.bob.user_id, { permissions: [perm('delete:items')] });

    const browser = new CookieJarClient(it.server);
    const pkce = pkcePair();
    const callback = await signIn(
      browser,
      {
        client_id: 'web',
        redirect_uri: CALLBACK,
        response_type: 'code',
        scope: 'openid read:items write:items delete:items',
        audience: API,
        code_challenge: pkce.challenge,
        code_challenge_method: 'S256',
      },
      users.bob.email,
    );
    const answer = await postToken(
      it.server,
      {
        grant_type: 'authorization_code',
        code: callback.searchParams.get('code') ?? '',
        redirect_uri: CALLBACK,
        code_verifier: pkce.verifier,
      },
      { authorization: basicAuth('web', WEB_SECRET) },
    );
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    const jwks = createLocalJWKSet((await (await fetch(it.server.url('/.well-known/jwks.json'))).json()) as never);
    const { payload } = await jwtVerify(answer.body.access_token as string, jwks, { issuer: it.server.issuer });
    assert.deepEqual(payload.permissions, ['delete:items', 'write:items']);
    assert.equal(payload.scope, 'openid write:items delete:items');
  });

  test('each route refuses a token without its scope: 403 with the scopes it takes', async () => {
    const id = (await it.admin.roles.create({ name: 'Scoped' })).id;
    const body = { permissions: [perm('read:items')] };
    await refusesWithoutScope(it, it.limitedToken, [
      ['GET', '/roles', 'read:roles'],
      ['POST', '/roles', 'create:roles', { name: 'x' }],
      ['GET', `/roles/${id}`, 'read:roles'],
      ['PATCH', `/roles/${id}`, 'update:roles', { name: 'y' }],
      ['DELETE', `/roles/${id}`, 'delete:roles'],
      ['GET', `/roles/${id}/permissions`, 'read:roles'],
      ['POST', `/roles/${id}/permissions`, 'update:roles', body],
      ['DELETE', `/roles/${id}/permissions`, 'update:roles', body],
      ['GET', `/roles/${id}/users`, 'read:users,read:roles,read:role_members'],
      ['POST', `/roles/${id}/users`, 'update:roles,create:role_members', { users: ['bob'] }],
      ['GET', '/users/bob/roles', 'read:users,read:roles,read:role_members'],
      ['POST', '/users/bob/roles', 'update:users,create:role_members', { roles: [id] }],
      ['DELETE', '/users/bob/roles', 'update:users,delete:role_members', { roles: [id] }],
      ['GET', '/users/bob/permissions', 'read:users'],
      ['POST', '/users/bob/permissions', 'update:users', body],
      ['DELETE', '/users/bob/permissions', 'update:users', body],
    ]);
    assert.equal((await it.admin.roles.get(id!)).name, 'Scoped', 'nothing changed');
  });

  test('each write refuses a body that breaks its schema: 400 invalid_body', async () => {
    const id = (await it.admin.roles.create({ name: 'Validated' })).id;
    const cases: [string, string, unknown, string][] = [
      ['POST', '/roles', { name: 'x', colour: 'red' }, "'Additional properties not allowed: colour'"],
      ['POST', '/roles', { description: 'no name' }, "'Missing required property: name'"],
      [
        'POST',
        '/roles',
        { name: 'x', type: 'organization' },
        "'must be equal to one of the allowed values' on property type",
      ],
      ['PATCH', `/roles/${id}`, {}, "'must NOT have fewer than 1 properties'"],
      [
        'POST',
        `/roles/${id}/permissions`,
        { permissions: [] },
        "'must NOT have fewer than 1 items' on property permissions",
      ],
      [
        'DELETE',
        `/roles/${id}/permissions`,
        { permissions: [{ permission_name: 'x' }] },
        "'Missing required property: resource_server_identifier'",
      ],
      ['POST', `/roles/${id}/users`, { users: 'bob' }, "'must be array' on property users"],
      ['POST', '/users/bob/roles', { roles: [id], extra: 1 }, "'Additional properties not allowed: extra'"],
      ['DELETE', '/users/bob/roles', {}, "'Missing required property: roles'"],
      [
        'POST',
        '/users/bob/permissions',
        { permissions: [perm('')] },
        "'must NOT have fewer than 1 characters' on property permissions.0.permission_name",
      ],
      [
        'DELETE',
        '/users/bob/permissions',
        { permissions: [{ ...perm('read:items'), x: 1 }] },
        "'Additional properties not allowed: x'",
      ],
    ];
    for (const [method, path, sent, issue] of cases) {
      const answer = await it.api(path, it.adminToken, { method, body: sent });
      assert.equal(answer.status, 400, `${method} ${path}`);
      assert.deepEqual(
        await answer.json(),
        {
          statusCode: 400,
          error: 'Bad Request',
          message: `Payload validation error: ${issue}.`,
          errorCode: 'invalid_body',
        },
        `${method} ${path}`,
      );
    }
    assert.deepEqual((await it.admin.roles.list({ name_filter: 'x' })).data, []);
  });
});
