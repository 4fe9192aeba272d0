// A deploy-cli tenant directory of the kind teams keep in git (test/fixtures/deploy-cli/acme: an SPA, a
// machine-to-machine client, an API with scopes, a client grant, a database connection, roles with permissions,
// branding with its Universal Login template, tenant settings) imported by `a0deploy import` into a fresh
// Gatehouse: every object is there through the Management API, and a second import changes nothing.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { killAllStartedChildren } from '../helpers/cli.js';
import { forEachDatabase } from '../helpers/each-database.js';
import { fixtureDir, type HttpsGatehouse, importFrom, startHttpsGatehouse } from './helpers.js';

type Row = Record<string, unknown>;

after(killAllStartedChildren);

/** Everything the fixture declares, read back through the Management API. */
async function state(server: HttpsGatehouse) {
  const clients = (await server.get('/clients')) as Row[];
  const apis = (await server.get('/resource-servers')) as Row[];
  const connections = (await server.get('/connections')) as Row[];
  const roles = (await server.get('/roles')) as Row[];
  const permissions: Record<string, unknown> = {};
  for (const role of roles) permissions[role.name as string] = await server.get(`/roles/${role.id}/permissions`);
  const enabled: Record<string, unknown> = {};
  for (const connection of connections)
    enabled[connection.name as string] = await server.get(`/connections/${connection.id}/clients`);
  return {
    clients,
    apis,
    grants: await server.get('/client-grants'),
    connections,
    enabled,
    roles,
    permissions,
    branding: await server.get('/branding'),
    template: await server.get('/branding/templates/universal-login'),
    tenant: await server.get('/tenants/settings'),
  };
}

forEachDatabase('a0deploy import of a tenant directory', (db) => {
  let server: HttpsGatehouse;

  before(async () => {
    server = await startHttpsGatehouse(db().url);
  });

  after(async () => {
    await server?.cli.stop();
  });

  test('creates the declared objects, and a second import changes nothing', async () => {
    await importFrom(server, fixtureDir);
    const first = await state(server);

    const byName = (rows: Row[], name: string) => {
      const row = rows.find((r) => r.name === name);
      assert.ok(row, `${name} not in ${rows.map((r) => r.name).join(', ')}`);
      return row;
    };
    const spa = byName(first.clients, 'Acme Dashboard');
    assert.equal(spa.app_type, 'spa');
    assert.equal(spa.token_endpoint_auth_method, 'none');
    assert.deepEqual(spa.callbacks, ['https://dashboard.acme.test/callback']);
    assert.deepEqual(spa.web_origins, ['https://dashboard.acme.test']);
    const worker = byName(first.clients, 'Acme Billing Worker');
    assert.equal(worker.app_type, 'non_interactive');
    assert.deepEqual(worker.grant_types, ['client_credentials']);

    const api = byName(first.apis, 'Acme Orders API');
    assert.equal(api.identifier, 'https://orders.acme.test');
    assert.equal(api.token_lifetime, 3600);
    assert.deepEqual(
      (api.scopes as Row[]).map((s) => s.value),
      ['read:orders', 'write:orders'],
    );

    const grant = (first.grants as Row[]).find((g) => g.client_id === worker.client_id);
    assert.deepEqual(
      { audience: grant?.audience, scope: grant?.scope },
      { audience: 'https://orders.acme.test', scope: ['read:orders'] },
    );

    const users = byName(first.connections, 'Acme-Users');
    assert.equal(users.strategy, 'auth0');
    assert.equal((users.options as Row).brute_force_protection, true);
    assert.deepEqual(first.enabled['Acme-Users'], { clients: [{ client_id: spa.client_id }] });

    const permissionNames = (role: string) =>
      (first.permissions[role] as Row[]).map((p) => `${p.resource_server_identifier} ${p.permission_name}`).sort();
    assert.deepEqual(permissionNames('Order Reader'), ['https://orders.acme.test read:orders']);
    assert.deepEqual(permissionNames('Order Admin'), [
      'https://orders.acme.test read:orders',
      'https://orders.acme.test write:orders',
    ]);

    assert.deepEqual(first.branding, {
      colors: { primary: '#0059d6', page_background: '#f0f2f5' },
      logo_url: 'https://cdn.acme.test/logo.png',
    });
    assert.deepEqual(first.template, {
      body: readFileSync(join(fixtureDir, 'branding/templates/universal_login.html'), 'utf8'),
    });
    const tenant = first.tenant as Row;
    assert.deepEqual(
      [tenant.friendly_name, tenant.support_email, tenant.session_lifetime, tenant.idle_session_lifetime],
      ['Acme', 'support@acme.test', 72, 24],
    );

    await importFrom(server, fixtureDir);
    assert.deepEqual(await state(server), first);
  });
});
