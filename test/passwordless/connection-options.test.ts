// A passwordless connection's options through /api/v2/connections (Auth0 Management API "Create a connection";
// Auth0 docs: "Passwordless Connections"): options.email, options.totp, disable_signup and
// brute_force_protection are stored and returned; a malformed one is refused with Auth0's validation error,
// as the tenant file refuses it (one schema for both).
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { type AdminApi, startWithAdmin } from '../helpers/admin-api.js';
import { forEachDatabase } from '../helpers/each-database.js';
import { tenant, webClient } from '../helpers/fixtures.js';

const options = {
  email: { from: 'Acme <login@acme.test>', subject: 'Your code', syntax: 'liquid', body: '<p>{{ code }}</p>' },
  totp: { length: 6, time_step: 300 },
  disable_signup: true,
  brute_force_protection: true,
};

forEachDatabase('passwordless connection options in the Management API', (db) => {
  let it: AdminApi;
  before(async () => {
    it = await startWithAdmin(db(), tenant({ clients: [webClient()], users: [] }));
  });
  after(() => it?.server.close());

  test('options of an email connection are stored and returned', async () => {
    const created = await it.call('/connections', it.adminToken, {
      method: 'POST',
      body: { name: 'email', strategy: 'email', enabled_clients: ['web'], options },
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    assert.deepEqual(created.body.options, options);
  });

  test('a malformed totp or email option is refused', async () => {
    for (const bad of [{ totp: { length: 2 } }, { totp: { time_step: 'soon' } }, { email: { syntax: 'md' } }]) {
      const refused = await it.call('/connections', it.adminToken, {
        method: 'POST',
        body: { name: 'sms', strategy: 'sms', options: bad },
      });
      assert.equal(refused.status, 400, JSON.stringify(bad));
      assert.equal(refused.body.errorCode, 'invalid_body');
    }
  });
});
