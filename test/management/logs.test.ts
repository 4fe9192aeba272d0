// The audit log through the auth0 SDK's ManagementClient: a wrong password, a sign-in on the login page, a
// client_credentials exchange and a Management API change each leave Auth0's event (fp, s, seccft, sapi) with
// the right IP and client, and no password or secret anywhere in the rows or the log lines; search with q,
// one event by id (404 inexistent_log), a user's own events, checkpoint paging; a password set through
// PATCH /users/{id} (scp) or refused by the policy (fcp); and a clean shutdown writes every event still
// waiting in the batch.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { ManagementClient } from 'auth0';
import { ADMIN_ID, ADMIN_SECRET, adminEnv, apiFetch, startWithAdmin } from '../helpers/admin-api.js';
import { waitFor } from '../helpers/cli.js';
import { forEachDatabase } from '../helpers/each-database.js';
import { API, CALLBACK, DB, m2mClient, PASSWORD, SECRET_BASIC, signInTenant, users } from '../helpers/fixtures.js';
import { basicAuth, CookieJarClient, openLogin, postToken, signIn, submitLogin } from '../helpers/http-client.js';
import { captureLogs } from '../helpers/log-capture.js';
import { scopedToken } from '../helpers/scoped-token.js';
import { type RunningGatehouse, startGatehouse } from '../helpers/server.js';

const WRONG_PASSWORD = 'Wrong-Horse-Battery-77';
const webParams = { client_id: 'web', redirect_uri: CALLBACK, response_type: 'code', scope: 'openid' };

type Log = Record<string, unknown> & { log_id: string; type: string };

forEachDatabase('the Management API: logs', (db) => {
  let server: RunningGatehouse;
  let admin: ManagementClient;
  let adminToken: string;
  const captured = captureLogs('info');
  const env = adminEnv;
  const tenant = signInTenant({ clients: [m2mClient(), m2mClient({ client_id: 'm2m-shutdown', name: 'Shutdown' })] });
  tenant.client_grants = ['m2m-basic', 'm2m-shutdown'].map((id) => ({
    client_id: id,
    audience: API,
    scope: ['read:items'],
  }));

  const api = async (path: string) => {
    const response = await apiFetch(server, path, adminToken);
    return { status: response.status, body: (await response.json()) as unknown };
  };
  const all = async () => (await api('/logs?per_page=100&sort=date:1')).body as Log[];
  const m2mToken = () =>
    postToken(
      server,
      { grant_type: 'client_credentials', audience: API },
      { authorization: basicAuth('m2m-basic', SECRET_BASIC) },
    );

  before(async () => {
    ({ server, admin, adminToken } = await startWithAdmin(db(), tenant, { logs: captured }));
  });
  after(() => server.close());

  test('sign-ins, a token exchange and an API change are recorded with their IP and client, and nothing secret', async () => {
    const failing = new CookieJarClient(server);
    const { form } = await openLogin(failing, webParams);
    assert.equal((await submitLogin(failing, form, users.alice.email, WRONG_PASSWORD)).status, 400);
    await signIn(new CookieJarClient(server), webParams, users.alice.email);
    assert.equal((await m2mToken()).status, 200);
    const created = await admin.clients.create({ name: 'Audited', app_type: 'non_interactive' });

    const logs = await waitFor('the four events', async () => {
      const rows = await all();
      return ['fp', 's', 'seccft', 'sapi'].every((type) => rows.some((r) => r.type === type)) && rows;
    });
    // The admin's own token is a seccft too.
    const of = (type: string) => logs.find((r) => r.type === type && r.client_id !== (type === 'seccft' && ADMIN_ID))!;
    assert.equal(of('fp').ip, '127.0.0.1');
    assert.equal(of('fp').client_id, 'web');
    assert.equal(of('fp').client_name, 'Acme Web');
    assert.equal(of('fp').user_name, users.alice.email);
    assert.equal(of('s').user_id, users.alice.user_id);
    assert.equal(of('s').connection, 'Username-Password-Authentication');
    assert.equal(of('seccft').client_id, 'm2m-basic');
    assert.equal(of('seccft').client_name, 'M2M basic');
    assert.equal(of('seccft').audience, API);
    assert.equal(of('seccft').ip, '127.0.0.1');
    assert.deepEqual(of('sapi').details, {
      request: { method: 'POST', path: '/api/v2/clients' },
      response: { statusCode: 201 },
    });
    assert.equal(of('sapi').client_id, ADMIN_ID);
    assert.match(String(of('s').date), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);

    const lines = captured.lines.filter((line) => line.audit);
    for (const type of ['fp', 's', 'seccft', 'sapi'])
      assert.ok(
        lines.some((line) => (line.audit as Log).type === type),
        `a log line for ${type}`,
      );
    const everything = JSON.stringify(logs) + JSON.stringify(lines);
    for (const secret of [PASSWORD, WRONG_PASSWORD, SECRET_BASIC, ADMIN_SECRET, created.client_secret!])
      assert.ok(!everything.includes(secret), 'no password or client secret in the rows or log lines');
  });

  test('the SDK: list with a search and totals, get one, a user’s events; q with a date range; 404', async () => {
    await waitFor('a sign-in', async () => (await all()).some((r) => r.type === 's'));
    const page = await admin.logs.list({ search: `type:s AND user_id:"${users.alice.user_id}"`, include_totals: true });
    assert.ok(page.data.length >= 1);
    assert.ok(page.data.every((r) => r.type === 's' && r.user_id === users.alice.user_id));

    const one = await admin.logs.get(page.data[0].log_id!);
    assert.deepEqual(one, page.data[0]);
    await assert.rejects(admin.logs.get('nope'), (error: { statusCode: number; body: unknown }) => {
      assert.equal(error.statusCode, 404);
      assert.deepEqual(error.body, {
        statusCode: 404,
        error: 'Not Found',
        message: 'The log does not exist.',
        errorCode: 'inexistent_log',
      });
      return true;
    });

    const mine = await admin.users.logs.list(users.alice.user_id, { sort: 'date:1', include_totals: true });
    assert.deepEqual(
      mine.data.map((r) => r.type),
      ['fp', 's'],
      'the wrong password, then the sign-in',
    );

    const year = new Date().getUTCFullYear();
    const inYear = (await api(`/logs?q=${encodeURIComponent(`type:s AND date:[${year}-01-01 TO ${year}-12-31]`)}`))
      .body as Log[];
    assert.ok(inYear.length >= 1);
    const before2020 = (await api(`/logs?q=${encodeURIComponent('date:[* TO 2019-12-31]')}`)).body as Log[];
    assert.deepEqual(before2020, []);
    const bad = await api(`/logs?q=${encodeURIComponent('password:x')}`);
    assert.equal(bad.status, 400);
    assert.equal((bad.body as Record<string, unknown>).errorCode, 'invalid_query_string');
  });

  test('checkpoint paging: from a log_id, take events after it, oldest first', async () => {
    for (let i = 0; i < 3; i++) assert.equal((await m2mToken()).status, 200);
    const rows = await waitFor('five events or more', async () => {
      const found = await all();
      return found.length >= 5 && found;
    });
    const first = (await api(`/logs?from=${rows[0].log_id}&take=2`)).body as Log[];
    assert.deepEqual(
      first.map((r) => r.log_id),
      rows.slice(1, 3).map((r) => r.log_id),
    );
    const next = (await api(`/logs?from=${first[1].log_id}&take=100`)).body as Log[];
    assert.deepEqual(
      next.map((r) => r.log_id),
      rows.slice(3).map((r) => r.log_id),
    );
    assert.equal((await api(`/logs?from=${rows[0].log_id}&take=101`)).status, 400, 'take is at most 100');
  });

  test('a clean shutdown writes every event still waiting in its batch', async () => {
    const count = async () =>
      ((await api('/logs?q=client_id:m2m-shutdown&include_totals=true&per_page=1')).body as { total: number }).total;
    const second = await startGatehouse({ databaseUrl: db().url, env, tenant });
    const requests = 25;
    for (let i = 0; i < requests; i++) {
      const answer = await postToken(
        second,
        { grant_type: 'client_credentials', audience: API },
        { authorization: basicAuth('m2m-shutdown', SECRET_BASIC) },
      );
      assert.equal(answer.status, 200);
    }
    await second.close();
    assert.equal(await count(), requests);
  });

  test('a password set through PATCH /users/{id} is scp; one the policy refuses is fcp; neither holds the password', async () => {
    const NEW_PASSWORD = 'Other-Meadow-77';
    const updated = await admin.users.update(users.dave.user_id, { password: NEW_PASSWORD, connection: DB });
    assert.equal(updated.user_id, users.dave.user_id);
    await assert.rejects(
      admin.users.update(users.dave.user_id, { password: 'qz12' }),
      (error: { statusCode: number }) => {
        assert.equal(error.statusCode, 400);
        return true;
      },
    );
    // A change that does not touch the password is no password event.
    await admin.users.update(users.erin.user_id, { nickname: 'erin' });

    const search = async (type: string) =>
      (await api(`/logs?q=${encodeURIComponent(`type:${type}`)}&per_page=100`)).body as Log[];
    const [success, failure] = await waitFor('the scp and fcp events', async () => {
      const found = [await search('scp'), await search('fcp')];
      return found.every((rows) => rows.length > 0) && found;
    });
    assert.equal(success.length, 1, JSON.stringify(success));
    assert.equal(failure.length, 1, JSON.stringify(failure));
    for (const row of [success[0], failure[0]]) {
      assert.equal(row.user_id, users.dave.user_id);
      assert.equal(row.user_name, users.dave.email);
      assert.equal(row.connection, DB);
      assert.equal(row.client_id, ADMIN_ID);
      assert.equal(row.ip, '127.0.0.1');
    }
    assert.equal(success[0].description, 'Success Change Password');
    assert.equal(failure[0].description, 'PasswordStrengthError: Password is too weak');

    const lines = captured.lines.filter((line) => ['scp', 'fcp'].includes((line.audit as Log | undefined)?.type ?? ''));
    assert.equal(lines.length, 2, 'a log line for each');
    const everything = JSON.stringify([success, failure, lines]);
    for (const secret of [NEW_PASSWORD, 'qz12']) assert.ok(!everything.includes(secret), 'no password recorded');
  });

  test('read:logs is needed; a bad sort or take is a 400', async () => {
    const none = await fetch(server.url('/api/v2/logs'));
    assert.equal(none.status, 401);
    assert.equal((await api('/logs?sort=type:1')).status, 400);
    assert.equal((await api('/logs?take=0')).status, 400);
  });

  test("read:logs_users alone reads /logs and /logs/{id} (Auth0's scopes); per_page=0 answers the totals only", async () => {
    const token = await scopedToken(server, adminToken, ['read:logs_users']);
    const get = (path: string) =>
      fetch(server.url(`/api/v2${path}`), { headers: { authorization: `Bearer ${token}` } });
    const list = await get('/logs?include_totals=true&per_page=0');
    const body = (await list.json()) as { total: number; limit: number; logs: Log[] };
    assert.equal(list.status, 200, JSON.stringify(body));
    assert.deepEqual(body.logs, []);
    assert.equal(body.limit, 0);
    assert.ok(body.total > 0, 'the totals still count every event');
    const [first] = await all();
    assert.equal((await get(`/logs/${first.log_id}`)).status, 200);
    const other = await scopedToken(server, adminToken, ['read:users']);
    const refused = await fetch(server.url('/api/v2/logs'), { headers: { authorization: `Bearer ${other}` } });
    assert.equal(refused.status, 403);
    assert.equal(
      ((await refused.json()) as { message: string }).message,
      'Insufficient scope, expected any of: read:logs,read:logs_users',
    );
  });
});
