// /api/v2/users, /api/v2/users-by-email and /api/v2/stats/active-users through the auth0 SDK's ManagementClient
// (unchanged but for a fetch that sends its https requests to the test server's http URL): a user created over
// the API signs in on the login page with that password, and its sign-in shows in logins_count, last_login and
// the active-users count; a changed password, a block and a deletion take effect at the login page; metadata
// merges as Auth0 merges it; searches with Auth0's query syntax; and the errors in Auth0's shape.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { ManagementClient } from 'auth0';
import type { User } from '../../src/store/types.js';
import { type AdminApi, type ManagementFailure, managementError, startWithAdmin } from '../helpers/admin-api.js';
import { forEachDatabase } from '../helpers/each-database.js';
import { alice, CALLBACK, DB, tenant, webClient } from '../helpers/fixtures.js';
import { alertText, CookieJarClient, logIn, openLogin, submitLogin } from '../helpers/http-client.js';
import type { RunningGatehouse } from '../helpers/server.js';
import { scopedToken } from '../helpers/scoped-token.js';

const READER_SECRET = 'reader-secret-0123456789-abcdefghijklmnopqrstu';
const METADATA_SECRET = 'metadata-secret-0123456789-abcdefghijklmnopq';
const PARTNERS = 'Partners';
const STRONG = 'Strong-Pass-123';
const NEWER = 'Newer-Pass-456';
const signIn = { client_id: 'web', redirect_uri: CALLBACK, response_type: 'code', scope: 'openid', state: 'st' };

type Failure = ManagementFailure;
const failsWith = managementError;

forEachDatabase('the Management API: users', (db) => {
  let server: RunningGatehouse;
  let admin: ManagementClient;
  let adminToken: string;
  let readerToken: string;
  let metadataToken: string;

  let management: AdminApi['client'];
  let api: AdminApi['api'];
  /** The login page's answer to this e-mail and password: 303 signed in, 400 wrong, 401 blocked. */
  const tryLogin = async (email: string, password: string) => {
    const browser = new CookieJarClient(server);
    const { form } = await openLogin(browser, signIn);
    return submitLogin(browser, form, email, password);
  };

  before(async () => {
    const m2m = (client_id: string, client_secret: string) => ({
      client_id,
      app_type: 'non_interactive',
      client_secret,
      grant_types: ['client_credentials'],
    });
    const clients = [webClient(), m2m('reader', READER_SECRET), m2m('metadata', METADATA_SECRET)];
    const it = await startWithAdmin(db(), (audience) =>
      tenant({
        clients,
        connections: [
          { name: DB, strategy: 'auth0', enabled_clients: ['web'], options: { password_policy: 'good' } },
          { name: PARTNERS, strategy: 'auth0', enabled_clients: ['web'] },
        ],
        users: [alice()],
        client_grants: [
          { client_id: 'reader', audience, scope: ['read:users'] },
          { client_id: 'metadata', audience, scope: ['read:users', 'update:users_app_metadata'] },
        ],
      }),
    );
    ({ server, admin, adminToken, api, client: management } = it);
    readerToken = await it.token('reader', READER_SECRET);
    metadataToken = await it.token('metadata', METADATA_SECRET);
  });
  after(() => server.close());

  test('create, sign in with that password, get, list with totals, update, delete', async () => {
    const created = await admin.users.create({
      connection: DB,
      email: 'Zoe@Acme.TEST',
      password: STRONG,
      name: 'Zoe Quinn',
      user_metadata: { theme: 'dark' },
      app_metadata: { plan: 'gold' },
    });
    const id = created.user_id!;
    assert.match(id, /^auth0\|[0-9a-z]{24}$/);
    const { created_at, updated_at, ...rest } = created;
    assert.match(String(created_at), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    assert.equal(updated_at, created_at);
    assert.deepEqual(rest, {
      user_id: id,
      email: 'zoe@acme.test',
      email_verified: false,
      name: 'Zoe Quinn',
      user_metadata: { theme: 'dark' },
      app_metadata: { plan: 'gold' },
      identities: [{ connection: DB, user_id: id.slice('auth0|'.length), provider: 'auth0', isSocial: false }],
      logins_count: 0,
    });
    assert.equal((await admin.stats.getActiveUsersCount()) as unknown, 0);

    // Universal Login takes the password the API set, and counts the sign-in.
    await logIn(new CookieJarClient(server), signIn, 'zoe@acme.test', STRONG);
    const read = await admin.users.get(id);
    assert.equal(read.logins_count, 1);
    assert.equal(read.last_ip, '127.0.0.1');
    assert.ok(Date.now() - Date.parse(String(read.last_login)) < 60_000, String(read.last_login));
    const active = await api('/stats/active-users', adminToken);
    assert.equal(active.headers.get('content-type'), 'application/json; charset=utf-8');
    assert.equal(await active.text(), '1');
    assert.equal((await admin.stats.getActiveUsersCount()) as unknown, 1);

    const page = await admin.users.list({ include_totals: true, q: 'email:"zoe@acme.test"', fields: 'user_id,email' });
    assert.deepEqual(page.data, [{ user_id: id, email: 'zoe@acme.test' }]);
    const raw = (await (await api('/users?include_totals=true&per_page=1', adminToken)).json()) as Record<
      string,
      unknown
    >;
    assert.deepEqual(
      { start: raw.start, limit: raw.limit, length: raw.length, total: raw.total },
      { start: 0, limit: 1, length: 1, total: 2 },
    );

    // A new password: the old one stops working at once.
    const updated = await admin.users.update(id, { password: NEWER, nickname: 'zq', connection: DB });
    assert.equal(updated.nickname, 'zq');
    assert.equal('password' in updated || 'password_hash' in updated, false);
    const refused = await tryLogin('zoe@acme.test', STRONG);
    assert.equal(refused.status, 400);
    assert.equal(alertText(refused), 'Wrong email or password');
    assert.equal((await tryLogin('zoe@acme.test', NEWER)).status, 303);

    // Blocked: the password is right, the sign-in is refused.
    assert.equal((await admin.users.update(id, { blocked: true })).blocked, true);
    assert.equal((await tryLogin('zoe@acme.test', NEWER)).status, 401);
    assert.equal('blocked' in (await admin.users.update(id, { blocked: false })), false);

    await admin.users.delete(id);
    await assert.rejects(
      admin.users.get(id),
      failsWith(404, {
        statusCode: 404,
        error: 'Not Found',
        message: 'The user does not exist.',
        errorCode: 'inexistent_user',
      }),
    );
    assert.equal((await tryLogin('zoe@acme.test', NEWER)).status, 400, 'deleted: no such user');
    // Auth0 answers 204 for a user that does not exist.
    assert.equal((await api(`/users/${encodeURIComponent(id)}`, adminToken, { method: 'DELETE' })).status, 204);
  });

  test('deleting a user ends its sessions (its rows go with it, by foreign key, in one statement)', async () => {
    const user = await admin.users.create({ connection: DB, email: 'gone@acme.test', password: STRONG });
    const browser = new CookieJarClient(server);
    await logIn(browser, signIn, 'gone@acme.test', STRONG);
    await admin.users.delete(user.user_id!);
    // The session cookie no longer signs anyone in: /authorize asks for the login page again.
    const again = await browser.get(new URL(`/authorize?${new URLSearchParams(signIn)}`, server.issuer));
    assert.equal(again.status, 302);
    assert.match(again.location ?? '', /^\/u\/login\?state=/);
  });

  test('metadata: root properties merged, null removes one, nested objects replaced, {} empties', async () => {
    const user = await admin.users.create({
      connection: DB,
      email: 'meta@acme.test',
      password: STRONG,
      user_metadata: { profileCode: 1479, addresses: { home: '123 Main Street' }, color: 'red' },
    });
    const id = user.user_id!;
    const merged = await admin.users.update(id, {
      user_metadata: { addresses: { work: '100 Industrial Way' }, color: null },
      app_metadata: { roles: ['admin'] },
    });
    assert.deepEqual(merged.user_metadata, { profileCode: 1479, addresses: { work: '100 Industrial Way' } });
    assert.deepEqual(merged.app_metadata, { roles: ['admin'] });
    // A token with update:users_app_metadata only changes metadata, and nothing else.
    const limited = management(metadataToken);
    assert.deepEqual((await limited.users.update(id, { app_metadata: { tier: 2 } })).app_metadata, {
      roles: ['admin'],
      tier: 2,
    });
    await assert.rejects(
      limited.users.update(id, { name: 'Mallory' }),
      failsWith(403, {
        statusCode: 403,
        error: 'Forbidden',
        message: 'Insufficient scope, expected any of: update:users',
        errorCode: 'insufficient_scope',
      }),
    );
    assert.equal('user_metadata' in (await admin.users.update(id, { user_metadata: {} })), true);
    assert.deepEqual((await admin.users.get(id)).user_metadata, {});
  });

  test('errors: a weak password, an existing e-mail, an unknown connection, a bad query', async () => {
    await assert.rejects(
      admin.users.create({ connection: DB, email: 'weak@acme.test', password: 'password' }),
      failsWith(400, { statusCode: 400, error: 'Bad Request', message: 'PasswordStrengthError: Password is too weak' }),
    );
    const exists = {
      statusCode: 409,
      error: 'Conflict',
      message: 'The user already exists.',
      errorCode: 'auth0_idp_error',
    };
    await assert.rejects(
      admin.users.create({ connection: DB, email: 'ALICE@acme.test', password: STRONG }),
      failsWith(409, exists),
    );
    const other = await admin.users.create({ connection: DB, email: 'other@acme.test', password: STRONG });
    await assert.rejects(admin.users.update(other.user_id!, { email: 'alice@acme.test' }), failsWith(409, exists));
    await assert.rejects(
      admin.users.update(other.user_id!, { password: 'short' }),
      failsWith(400, { statusCode: 400, error: 'Bad Request', message: 'PasswordStrengthError: Password is too weak' }),
    );
    await assert.rejects(
      admin.users.create({ connection: 'Nowhere', email: 'x@acme.test', password: STRONG }),
      failsWith(400, {
        statusCode: 400,
        error: 'Bad Request',
        message: 'The connection does not exist.',
        errorCode: 'inexistent_connection',
      }),
    );
    await assert.rejects(
      admin.users.list({ q: 'email:(jo' }),
      failsWith(400, {
        statusCode: 400,
        error: 'Bad Request',
        message: "Query validation error: 'q' is not a valid query: the field email has no value.",
        errorCode: 'invalid_query_string',
      }),
    );
  });

  test('search: exact and prefix e-mails, names, metadata, booleans, AND/OR/NOT, sort, paging, connection', async () => {
    const at = Date.parse('2030-01-01T00:00:00Z');
    const seeded = (n: number, overrides: Partial<User>): User => ({
      user_id: `auth0|seed${n}`,
      connection: DB,
      email: `seed${n}@search.test`,
      email_verified: n % 2 === 0,
      username: null,
      phone_number: null,
      phone_verified: false,
      name: `Seed ${n}`,
      given_name: null,
      family_name: null,
      nickname: null,
      picture: null,
      password_hash: null,
      user_metadata: {},
      app_metadata: {},
      blocked: false,
      created_at: at + n,
      updated_at: at + n,
      ...overrides,
    });
    await server.gatehouse.store.users.insertMany([
      seeded(1, { app_metadata: { plan: 'gold', seats: 3 }, name: 'Jane Smith' }),
      seeded(2, { app_metadata: { plan: 'silver', subscription: { plan: 'gold' } }, email: 'jane.doe@search.test' }),
      seeded(3, { user_metadata: { hobby: 'surfing', vip: true }, email: 'john@other.test' }),
      seeded(4, { connection: PARTNERS, email: 'seed1@search.test', name: 'JANE smith' }),
      seeded(5, { email: 'we%ird_1@search.test' }),
    ]);
    const ids = async (q: string, extra: Record<string, unknown> = {}) =>
      (await admin.users.list({ q, sort: 'created_at:1', ...extra })).data.map((u) =>
        u.user_id!.slice('auth0|'.length),
      );
    const table: [string, string[]][] = [
      ['email:"seed1@search.test"', ['seed1', 'seed4']],
      ['email:SEED1@SEARCH.TEST', ['seed1', 'seed4']],
      ['email:jane*', ['seed2']],
      ['email:we%ird_*', ['seed5']],
      ['email:we_*', []],
      ['email.domain:other.test', ['seed3']],
      ['user_id:"auth0|seed3"', ['seed3']],
      ['name:"jane smith"', ['seed1', 'seed4']],
      ['name:jan*', ['seed1', 'seed4']],
      ['app_metadata.plan:gold', ['seed1']],
      ['app_metadata.subscription.plan:"gold"', ['seed2']],
      ['app_metadata.seats:3', ['seed1']],
      ['app_metadata.plan:go*', ['seed1']],
      ['user_metadata.vip:true', ['seed3']],
      ['user_metadata.hobby:surfing AND email_verified:false', ['seed3']],
      ['app_metadata.plan:gold OR app_metadata.plan:silver', ['seed1', 'seed2']],
      ['(name:jane* OR email:john*) AND NOT identities.connection:Partners', ['seed1', 'seed3']],
      ['email:seed* -email:seed1*', []],
      ['created_at:[2030-01-01T00:00:00.002Z TO 2030-01-01T00:00:00.003Z]', ['seed2', 'seed3']],
      ['created_at:{2030-01-01T00:00:00.002Z TO *]', ['seed3', 'seed4', 'seed5']],
      ['created_at:[2030-01-01 TO 2030-01-01] AND NOT email:seed*', ['seed2', 'seed3', 'seed5']],
      ['last_login:[* TO *]', []],
    ];
    for (const [q, expected] of table) assert.deepEqual(await ids(q), expected, q);
    assert.deepEqual(await ids('email:seed1@search.test', { connection: PARTNERS }), ['seed4']);
    // Wildcards only at the end of a value (a prefix).
    for (const q of ['email:*@search.test', 'name:*'])
      await assert.rejects(ids(q), (error: Failure) => error.statusCode === 400, q);
    // Sorting, and paging past the first page in that order.
    assert.deepEqual(await ids('email.domain:search.test', { sort: 'created_at:-1' }), [
      'seed5',
      'seed4',
      'seed2',
      'seed1',
    ]);
    assert.deepEqual(await ids('email.domain:search.test', { sort: 'email:1', per_page: 2, page: 1 }), [
      'seed4',
      'seed5',
    ]);
    const totals = (await (
      await api(`/users?include_totals=true&per_page=2&page=1&q=${encodeURIComponent('email:seed*')}`, adminToken)
    ).json()) as Record<string, unknown>;
    assert.deepEqual(
      { ...totals, users: (totals.users as unknown[]).length },
      { start: 2, limit: 2, length: 0, total: 2, users: 0 },
    );
  });

  test('users-by-email: every connection, any case, with fields', async () => {
    const here = await admin.users.create({ connection: DB, email: 'twin@acme.test', password: STRONG });
    const there = await admin.users.create({ connection: PARTNERS, email: 'Twin@Acme.test', password: STRONG });
    const found = await admin.users.listUsersByEmail({
      email: 'TWIN@acme.test',
      fields: 'user_id',
      include_fields: true,
    });
    assert.deepEqual(found, [{ user_id: here.user_id }, { user_id: there.user_id }]);
    assert.deepEqual(await admin.users.listUsersByEmail({ email: 'nobody@acme.test' }), []);
  });

  test('insertMany writes all or nothing', async () => {
    const store = server.gatehouse.store;
    const fresh = { ...(await store.users.findByEmail(DB, 'alice@acme.test'))! };
    const batch = [
      { ...fresh, user_id: 'auth0|bulk1', email: 'bulk1@acme.test' },
      { ...fresh, user_id: 'auth0|bulk2', email: 'alice@acme.test' },
    ];
    await assert.rejects(store.users.insertMany(batch));
    assert.equal(await store.users.get('auth0|bulk1'), undefined, 'the first row was rolled back');
    await store.users.insertMany([batch[0], { ...batch[1], email: 'bulk2@acme.test' }]);
    assert.equal((await store.users.get('auth0|bulk2'))?.email, 'bulk2@acme.test');
  });

  test('scopes: each route refuses a token without its scope (403)', async () => {
    const routes: [string, string, string, unknown?][] = [
      ['POST', '/users', 'create:users', { connection: DB }],
      ['PATCH', '/users/auth0%7Cx', 'update:users,update:users_app_metadata', { name: 'x' }],
      ['DELETE', '/users/auth0%7Cx', 'delete:users'],
      ['GET', '/stats/active-users', 'read:stats'],
    ];
    for (const [method, path, scopes, body] of routes) {
      const answer = await api(path, readerToken, {
        method,
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      assert.equal(answer.status, 403, `${method} ${path}`);
      assert.deepEqual(await answer.json(), {
        statusCode: 403,
        error: 'Forbidden',
        message: `Insufficient scope, expected any of: ${scopes}`,
        errorCode: 'insufficient_scope',
      });
    }
    for (const path of ['/users', '/users/auth0%7Cx', '/users-by-email?email=a@b.c']) {
      const answer = await api(path, metadataToken.replace(/.$/, ''));
      assert.equal(answer.status, 401, path);
    }
    assert.equal((await api('/users', readerToken)).status, 200);
  });

  test('validation: bodies and queries out of Auth0 schema answer 400', async () => {
    const cases: [string, string, unknown, string, string][] = [
      [
        'POST',
        '/users',
        { connection: DB, email: 'v@acme.test', password: STRONG, role: 'admin' },
        "Payload validation error: 'Additional properties not allowed: role'.",
        'invalid_body',
      ],
      [
        'POST',
        '/users',
        { email: 'v@acme.test' },
        "Payload validation error: 'Missing required property: connection'.",
        'invalid_body',
      ],
      [
        'POST',
        '/users',
        { connection: DB, password: STRONG },
        "Payload validation error: 'Missing required property: email'.",
        'invalid_body',
      ],
      [
        'PATCH',
        '/users/auth0%7Cx',
        { is_admin: true },
        "Payload validation error: 'Additional properties not allowed: is_admin'.",
        'invalid_body',
      ],
      [
        'PATCH',
        '/users/auth0%7Cx',
        { blocked: 'yes' },
        "Payload validation error: 'must be boolean' on property blocked.",
        'invalid_body',
      ],
      [
        'GET',
        '/users?sort=password:1',
        undefined,
        "Query validation error: 'sort' cannot sort by password; sortable: created_at, updated_at, last_login, logins_count, " +
          'email, email_verified, name, given_name, family_name, nickname, username, phone_number, phone_verified, picture, ' +
          'blocked, last_ip, connection, user_id.',
        'invalid_query_string',
      ],
      [
        'GET',
        '/users-by-email',
        undefined,
        "Query validation error: 'Missing required property: email'.",
        'invalid_query_string',
      ],
    ];
    for (const [method, path, body, message, errorCode] of cases) {
      const answer = await api(path, adminToken, {
        method,
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      assert.deepEqual(
        await answer.json(),
        { statusCode: 400, error: 'Bad Request', message, errorCode },
        `${method} ${path}`,
      );
    }
  });

  test("Auth0's other sort fields, per_page=0 and read:user_idp_tokens", async () => {
    const at = Date.parse('2031-01-01T00:00:00Z');
    const base = { connection: DB, email_verified: false, username: null, phone_number: null, phone_verified: false };
    const profile = { given_name: null, family_name: null, picture: null, password_hash: null, blocked: false };
    await server.gatehouse.store.users.insertMany(
      [3, 1, 2].map((n) => ({
        ...base,
        ...profile,
        user_id: `auth0|sort${n}`,
        email: `sort${n}@sort.test`,
        name: `Sort ${n}`,
        nickname: `nick${4 - n}`,
        user_metadata: {},
        app_metadata: {},
        created_at: at + n,
        updated_at: at + n,
      })),
    );
    for (const n of [1, 1, 1, 2]) await server.gatehouse.store.users.recordLogin(`auth0|sort${n}`, at, '192.0.2.1');
    const sorted = async (sort: string) =>
      (await admin.users.list({ q: 'email:sort*', sort })).data.map((u) => u.user_id!.slice('auth0|'.length));
    assert.deepEqual(await sorted('logins_count:-1'), ['sort1', 'sort2', 'sort3']);
    assert.deepEqual(await sorted('nickname:1'), ['sort3', 'sort2', 'sort1']);
    assert.deepEqual(await sorted('username:1'), ['sort1', 'sort2', 'sort3']);
    const unknown = await fetch(server.url('/api/v2/users?sort=app_metadata.plan:1'), {
      headers: { authorization: `Bearer ${adminToken}` },
    });
    assert.equal(unknown.status, 400);

    const empty = await fetch(server.url('/api/v2/users?q=email:sort*&per_page=0&include_totals=true'), {
      headers: { authorization: `Bearer ${adminToken}` },
    });
    assert.equal(empty.status, 200);
    assert.deepEqual(await empty.json(), { start: 0, limit: 0, length: 0, total: 3, users: [] });

    const idp = await scopedToken(server, adminToken, ['read:user_idp_tokens']);
    const get = (path: string) => fetch(server.url(`/api/v2${path}`), { headers: { authorization: `Bearer ${idp}` } });
    assert.equal((await get('/users?q=email:sort1*')).status, 200);
    assert.equal((await get('/users/auth0%7Csort1')).status, 200);
  });
});
