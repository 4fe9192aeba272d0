// /api/v2/grants through the auth0 SDK's ManagementClient: the consents users gave on the consent page, listed
// (filters user_id, client_id, audience; totals) and deleted by id or by user; a deleted grant's consent page
// is shown again at the next authorization. Each route refuses a token without its scope (403), and
// DELETE /grants without user_id is 400.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { type AdminApi, refusesWithoutScope, startWithAdmin } from '../helpers/admin-api.js';
import { forEachDatabase } from '../helpers/each-database.js';
import { acmeApi, alice, API, bob, CALLBACK, DB, scopes, tenant, webClient } from '../helpers/fixtures.js';
import { authorizeUrl, CookieJarClient, callbackOf, logIn, openPage } from '../helpers/http-client.js';

const SECRET = 'partner-secret-0123456789-abcdefghijklmnopqrst';

/** A third-party client, so the consent page is shown. */
const partnerTenant = () =>
  tenant({
    resource_servers: [acmeApi({ scopes: scopes(['read:items', 'Read your items'], 'write:items') })],
    clients: [
      webClient({
        client_id: 'partner',
        client_secret: SECRET,
        token_endpoint_auth_method: 'client_secret_post',
        is_first_party: false,
      }),
    ],
    users: [alice(), bob()],
  });

const params = (audience?: string) => ({
  client_id: 'partner',
  redirect_uri: CALLBACK,
  response_type: 'code',
  scope: audience ? 'openid read:items' : 'openid profile',
  ...(audience && { audience }),
});

forEachDatabase('the Management API: grants', (db) => {
  let it: AdminApi;
  before(async () => {
    it = await startWithAdmin(db(), partnerTenant(), { limited: ['read:clients'] });
  });
  after(() => it.server.close());

  const userId = async (email: string) => (await it.server.gatehouse.store.users.findByEmail(DB, email))!.user_id;

  /** Accepts the consent page that /authorize shows the signed-in browser; ends at the client's callback. */
  async function accept(browser: CookieJarClient, audience?: string) {
    const { form } = await openPage(
      browser,
      await browser.get(authorizeUrl(it.server, params(audience))),
      '/u/consent',
    );
    const posted = await browser.post(form.action, { _csrf: form.csrf, action: 'accept' });
    assert.equal(posted.status, 303, posted.text);
    assert.ok((await callbackOf(browser, posted)).searchParams.get('code'));
  }

  async function signedIn(email: string) {
    const browser = new CookieJarClient(it.server);
    const posted = await logIn(browser, params(API), email);
    // The login answer resumes /authorize, which asks for consent; accept() opens that page again.
    await browser.get(posted.location!);
    return browser;
  }

  test('consents are listed as grants, filtered, with totals; deleting one shows the consent page again', async () => {
    const aliceBrowser = await signedIn('alice@acme.test');
    await accept(aliceBrowser, API);
    await accept(aliceBrowser);
    const bobBrowser = await signedIn('bob@acme.test');
    await accept(bobBrowser, API);
    const [aliceId, bobId] = [await userId('alice@acme.test'), await userId('bob@acme.test')];

    const page = await it.admin.userGrants.list({ user_id: aliceId, include_totals: true });
    const userinfo = `${it.server.issuer}userinfo`;
    const byAudience = Object.fromEntries(page.data.map((g) => [g.audience, g]));
    assert.equal(page.data.length, 2);
    assert.deepEqual(byAudience[API], {
      id: byAudience[API].id,
      clientID: 'partner',
      user_id: aliceId,
      audience: API,
      scope: ['openid', 'read:items'],
    });
    assert.deepEqual(byAudience[userinfo].scope, ['openid', 'profile']);
    const raw = (await (
      await it.api(`/grants?include_totals=true&audience=${encodeURIComponent(API)}`, it.adminToken)
    ).json()) as {
      total: number;
      grants: { user_id: string }[];
    };
    assert.equal(raw.total, 2);
    assert.deepEqual(raw.grants.map((g) => g.user_id).sort(), [aliceId, bobId].sort());
    const forUserinfo = await it.admin.userGrants.list({ audience: userinfo, client_id: 'partner' });
    assert.deepEqual(
      forUserinfo.data.map((g) => g.user_id),
      [aliceId],
    );

    await it.admin.userGrants.delete(byAudience[API].id!);
    await accept(aliceBrowser, API);
    const again = await it.admin.userGrants.list({ user_id: aliceId, audience: API });
    assert.equal(again.data.length, 1);
    assert.notEqual(again.data[0].id, byAudience[API].id, 'a new grant');

    await it.admin.userGrants.deleteByUserId({ user_id: aliceId });
    assert.deepEqual((await it.admin.userGrants.list({ user_id: aliceId })).data, []);
    assert.equal((await it.admin.userGrants.list({ user_id: bobId })).data.length, 1, "Bob's grant stays");
    await accept(aliceBrowser);
  });

  test('a token without the scope: 403; DELETE /grants without user_id: 400', async () => {
    await refusesWithoutScope(it, it.limitedToken, [
      ['GET', '/grants', 'read:grants'],
      ['DELETE', '/grants?user_id=x', 'delete:grants'],
      ['DELETE', '/grants/cgr_x', 'delete:grants'],
    ]);
    const missing = await it.api('/grants', it.adminToken, { method: 'DELETE' });
    assert.equal(missing.status, 400);
    assert.deepEqual(await missing.json(), {
      statusCode: 400,
      error: 'Bad Request',
      message: "Query validation error: 'Missing required property: user_id'.",
      errorCode: 'invalid_query_string',
    });
    const badPage = await it.api('/grants?per_page=1000', it.adminToken);
    assert.equal(badPage.status, 400);
  });
});
