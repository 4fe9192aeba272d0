// /api/v2/tenants/settings through the auth0 SDK's ManagementClient: read (session lifetimes in hours, Auth0's
// defaults), patched (minutes turned into hours, Auth0 fields Gatehouse does not implement stored and returned,
// nested ones merged), `fields`; a patched default_audience used by the next token request without audience, and
// cleared with ''; and the errors: an unknown field, a default_audience that is no API, lifetimes in hours and
// minutes at once 400, a token without the scope 403.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { decodeJwt } from 'jose';
import { type AdminApi, refusesWithoutScope, startWithAdmin } from '../helpers/admin-api.js';
import { forEachDatabase } from '../helpers/each-database.js';
import { API, DB, m2mClient, SECRET_BASIC, tenant, webClient } from '../helpers/fixtures.js';
import { basicAuth, postToken } from '../helpers/http-client.js';

forEachDatabase('the Management API: tenant settings', (db) => {
  let it: AdminApi;

  const patch = (token: string, body: object) => it.api('/tenants/settings', token, { method: 'PATCH', body });
  /** A client_credentials request that names no audience. */
  const tokenWithoutAudience = () =>
    postToken(it.server, { grant_type: 'client_credentials' }, { authorization: basicAuth('m2m-basic', SECRET_BASIC) });

  before(async () => {
    it = await startWithAdmin(
      db(),
      tenant({
        clients: [webClient(), m2mClient()],
        client_grants: [{ client_id: 'm2m-basic', audience: API, scope: ['read:items'] }],
      }),
      { limited: ['read:clients'] },
    );
  });
  after(() => it.server.close());

  test('get, patch (hours, minutes, stored-only fields merged), fields', async () => {
    assert.deepEqual(await it.admin.tenants.settings.get(), {
      friendly_name: 'Acme',
      default_directory: DB,
      session_lifetime: 168,
      idle_session_lifetime: 72,
      allowed_logout_urls: [],
    });
    const changes = {
      friendly_name: 'Acme Corp',
      support_email: 'help@acme.test',
      support_url: 'https://acme.test/help',
      picture_url: 'https://cdn.acme.test/logo.png',
      session_lifetime: 10,
      idle_session_lifetime_in_minutes: 90,
      allowed_logout_urls: ['https://acme.test/bye'],
      flags: { enable_apis_section: true },
      enabled_locales: ['en', 'fr'] as ('en' | 'fr')[],
      sandbox_version: '18',
    };
    const expected = {
      friendly_name: 'Acme Corp',
      default_directory: DB,
      support_email: 'help@acme.test',
      support_url: 'https://acme.test/help',
      picture_url: 'https://cdn.acme.test/logo.png',
      session_lifetime: 10,
      idle_session_lifetime: 1.5,
      allowed_logout_urls: ['https://acme.test/bye'],
      flags: { enable_apis_section: true },
      enabled_locales: ['en', 'fr'],
      sandbox_version: '18',
    };
    assert.deepEqual(await it.admin.tenants.settings.update(changes), expected);
    assert.deepEqual(await it.admin.tenants.settings.get(), expected);

    // Nested settings merge (RFC 7396); null removes one.
    const merged = await it.admin.tenants.settings.update({ flags: { disable_clickjack_protection_headers: true } });
    assert.deepEqual(merged.flags, { enable_apis_section: true, disable_clickjack_protection_headers: true });
    const removed = await it.admin.tenants.settings.update({ error_page: null, sandbox_version: '22' });
    assert.equal(removed.error_page, undefined);
    assert.equal(removed.sandbox_version, '22');

    assert.deepEqual(await it.admin.tenants.settings.get({ fields: 'friendly_name,session_lifetime' }), {
      friendly_name: 'Acme Corp',
      session_lifetime: 10,
    });
    const without = await it.admin.tenants.settings.get({ fields: 'flags', include_fields: false });
    assert.equal(without.flags, undefined);
    assert.equal(without.friendly_name, 'Acme Corp');
  });

  test('a patched default_audience applies to the next token request without audience; "" clears it', async () => {
    assert.equal((await tokenWithoutAudience()).status, 403, 'no default audience yet');
    assert.equal((await it.admin.tenants.settings.update({ default_audience: API })).default_audience, API);
    const answer = await tokenWithoutAudience();
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    assert.equal(decodeJwt(answer.body.access_token as string).aud, API);

    assert.equal((await it.admin.tenants.settings.update({ default_audience: '' })).default_audience, undefined);
    assert.equal((await tokenWithoutAudience()).status, 403, 'cleared');
  });

  test('errors: unknown field, no such API, hours with minutes 400; no scope 403', async () => {
    const bad: [object, RegExp][] = [
      [{ colour: 'red' }, /^Payload validation error: 'Additional properties not allowed: colour'\.$/],
      [{ session_lifetime: 'long' }, /^Payload validation error: 'must be number' on property session_lifetime\.$/],
      [
        { default_audience: 'https://nowhere.acme.test' },
        /^Payload validation error: default_audience "https:\/\/nowhere\.acme\.test" is not an API \(resource server\)\.$/,
      ],
      [
        { session_lifetime: 5, session_lifetime_in_minutes: 30 },
        /^Payload validation error: 'session_lifetime_in_minutes' cannot be given with 'session_lifetime'\.$/,
      ],
      [{ allowed_logout_urls: ['not a url'] }, /is not an absolute URL/],
    ];
    for (const [body, message] of bad) {
      const answer = await patch(it.adminToken, body);
      assert.equal(answer.status, 400, JSON.stringify(body));
      const error = (await answer.json()) as { message: string; errorCode: string };
      assert.equal(error.errorCode, 'invalid_body');
      assert.match(error.message, message);
    }
    await assert.rejects(
      it.admin.tenants.settings.update({ default_directory: 'nope' }),
      (error: { statusCode: number; body: { message: string } }) => {
        assert.equal(error.statusCode, 400);
        assert.match(error.body.message, /default_directory "nope" is not a database connection/);
        return true;
      },
    );
    assert.equal((await it.admin.tenants.settings.get()).session_lifetime, 10, 'nothing changed');

    await refusesWithoutScope(it, it.limitedToken, [
      ['GET', '/tenants/settings', 'read:tenant_settings'],
      ['PATCH', '/tenants/settings', 'update:tenant_settings', { friendly_name: 'X' }],
    ]);
  });
});
