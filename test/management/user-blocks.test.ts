// /api/v2/user-blocks through the auth0 SDK's ManagementClient: a user locked out by ten wrong passwords on
// the login page is listed as blocked (by user id and by e-mail), and clearing the block through the API lets
// the right password sign in at once; by identifier too. Unknown users 404; a token without the route's scope
// 403; a missing identifier 400.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { type AdminApi, managementError, refusesWithoutScope, startWithAdmin } from '../helpers/admin-api.js';
import { forEachDatabase } from '../helpers/each-database.js';
import { alice, bob, CALLBACK, DB, PASSWORD, tenant, users, webClient } from '../helpers/fixtures.js';
import { alertText, CookieJarClient, openLogin, pageForm, submitLogin } from '../helpers/http-client.js';

const BLOCKED =
  'Your account has been blocked after multiple consecutive login attempts. Reset your password or contact support.';
const params = { client_id: 'web', redirect_uri: CALLBACK, response_type: 'code', scope: 'openid' };

forEachDatabase('the Management API: user blocks', (db) => {
  let it: AdminApi;
  before(async () => {
    it = await startWithAdmin(db(), tenant({ clients: [webClient()], users: [alice(), bob()] }), {
      limited: ['read:clients'],
    });
  });
  after(() => it.server.close());

  /** Ten wrong passwords on the login page: then even the right one is refused (429). */
  async function lockOut(email: string) {
    const browser = new CookieJarClient(it.server);
    let { form } = await openLogin(browser, params);
    for (let i = 0; i < 10; i++) {
      const wrong = await submitLogin(browser, form, email, 'Not-The-Password-1');
      assert.equal(wrong.status, 400, wrong.text);
      form = pageForm(wrong);
    }
    const refused = await submitLogin(browser, form, email, PASSWORD);
    assert.equal(refused.status, 429);
    assert.equal(alertText(refused), BLOCKED);
  }

  /** The right password on a fresh login page: 303 onwards when it signs in. */
  async function rightPassword(email: string) {
    const browser = new CookieJarClient(it.server);
    const { form } = await openLogin(browser, params);
    return (await submitLogin(browser, form, email, PASSWORD)).status;
  }

  test('a user locked out by failed logins is listed; clearing by user id lets the right password in at once', async () => {
    const bobId = (await it.server.gatehouse.store.users.findByEmail(DB, users.bob.email))!.user_id;
    assert.deepEqual(await it.admin.userBlocks.list(bobId), { blocked_for: [] });
    await lockOut(users.bob.email);
    const blocked = { blocked_for: [{ identifier: users.bob.email, ip: '127.0.0.1', connection: DB }] };
    assert.deepEqual(await it.admin.userBlocks.list(bobId), blocked);
    assert.deepEqual(await it.admin.userBlocks.listByIdentifier({ identifier: 'Bob@Acme.test' }), blocked);
    assert.deepEqual(await it.admin.userBlocks.listByIdentifier({ identifier: users.alice.email }), {
      blocked_for: [],
    });

    await it.admin.userBlocks.delete(bobId);
    assert.deepEqual(await it.admin.userBlocks.list(bobId), { blocked_for: [] });
    assert.equal(await rightPassword(users.bob.email), 303);
  });

  test('clearing by identifier (e-mail) lets the right password in at once', async () => {
    await lockOut(users.alice.email);
    assert.equal(await rightPassword(users.alice.email), 429);
    await it.admin.userBlocks.deleteByIdentifier({ identifier: users.alice.email });
    assert.deepEqual(await it.admin.userBlocks.listByIdentifier({ identifier: users.alice.email }), {
      blocked_for: [],
    });
    assert.equal(await rightPassword(users.alice.email), 303);
  });

  test('an unknown user: 404; no scope: 403; no identifier: 400', async () => {
    await assert.rejects(
      it.admin.userBlocks.list('auth0|nobody'),
      managementError(404, {
        statusCode: 404,
        error: 'Not Found',
        message: 'The user does not exist.',
        errorCode: 'inexistent_user',
      }),
    );
    await assert.rejects(
      it.admin.userBlocks.delete('auth0|nobody'),
      (error: { statusCode: number }) => error.statusCode === 404,
    );
    await refusesWithoutScope(it, it.limitedToken, [
      ['GET', '/user-blocks?identifier=a%40b.test', 'read:users'],
      ['DELETE', '/user-blocks?identifier=a%40b.test', 'update:users'],
      ['GET', '/user-blocks/auth0%7Cbob', 'read:users'],
      ['DELETE', '/user-blocks/auth0%7Cbob', 'update:users'],
    ]);
    for (const method of ['GET', 'DELETE']) {
      const answer = await it.api('/user-blocks', it.adminToken, { method });
      assert.equal(answer.status, 400);
      assert.deepEqual(await answer.json(), {
        statusCode: 400,
        error: 'Bad Request',
        message: "Query validation error: 'Missing required property: identifier'.",
        errorCode: 'invalid_query_string',
      });
    }
  });
});
