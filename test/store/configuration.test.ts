// Contract of the configuration stores (tenant, clients, resource servers, client grants, connections, users,
// roles, signing keys, branding) on SQLite and PostgreSQL, through the real Kysely store: a round trip keeps
// every field exactly (JSON, booleans, numbers, nulls), an update changes only the fields it is given, and a
// lookup of an unknown key gives undefined.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as fx from './fixtures.js';
import { forEachStore, T0 } from './open-store.js';

forEachStore('configuration stores', (opened) => {
  const store = () => opened().store;
  const clock = () => opened().clock;

  test('tenant: empty before the first put; put replaces the whole settings object', async () => {
    assert.deepEqual(await store().tenant.get(), {});
    const settings = {
      friendly_name: 'Acme',
      default_audience: 'https://api.example/',
      session_lifetime: 168,
      idle_session_lifetime: 72.5,
      allowed_logout_urls: ['https://app.example/'],
      gatehouse_initialized: true,
    };
    await store().tenant.put(settings);
    assert.deepEqual(await store().tenant.get(), settings);
    await store().tenant.put({ support_email: 'help@acme.test', gatehouse_initialized: false });
    assert.deepEqual(await store().tenant.get(), { support_email: 'help@acme.test', gatehouse_initialized: false });
  });

  test('clients: round trip keeps every field; unknown id gives undefined', async () => {
    const full = fx.client();
    const bare = fx.client({
      app_type: 'spa',
      token_endpoint_auth_method: 'none',
      sealed_client_secret: null,
      is_first_party: false,
      is_token_endpoint_ip_header_trusted: false,
      logo_uri: null,
      grant_types: [],
      callbacks: [],
      client_authentication_methods: null,
      jwt_configuration: { lifetime_in_seconds: 60 },
    });
    await store().clients.insert(full);
    await store().clients.insert(bare);
    assert.deepEqual(await store().clients.get(full.client_id), full);
    assert.deepEqual(await store().clients.get(bare.client_id), bare);
    assert.equal(await store().clients.get('no-such-client'), undefined);
  });

  test('clients: update changes only the given fields, including to null and false', async () => {
    const original = fx.client();
    const other = fx.client();
    await store().clients.insert(original);
    await store().clients.insert(other);
    const patch = {
      name: 'Renamed',
      callbacks: ['https://new.example/cb'],
      sealed_client_secret: null,
      is_first_party: false,
      is_token_endpoint_ip_header_trusted: false,
      logo_uri: null,
      client_authentication_methods: null,
    };
    await store().clients.update(original.client_id, patch);
    assert.deepEqual(await store().clients.get(original.client_id), { ...original, ...patch });
    assert.deepEqual(await store().clients.get(other.client_id), other);
    await store().clients.update(original.client_id, { refresh_token: { ...original.refresh_token, leeway: 30 } });
    assert.deepEqual((await store().clients.get(original.client_id))?.refresh_token, {
      ...original.refresh_token,
      leeway: 30,
    });
  });

  test('clients: a second insert of the same client_id is refused and leaves the first', async () => {
    const first = fx.client();
    await store().clients.insert(first);
    await assert.rejects(store().clients.insert({ ...first, name: 'Impostor' }));
    assert.deepEqual(await store().clients.get(first.client_id), first);
  });

  test('clients: count is a number that follows inserts', async () => {
    const before = await store().clients.count();
    assert.equal(typeof before, 'number');
    await store().clients.insert(fx.client());
    await store().clients.insert(fx.client());
    assert.equal(await store().clients.count(), before + 2);
  });

  test('clients: browserOrigins lists every web_origins and allowed_origins entry, each once', async () => {
    const a = `${fx.unique('https://a')}.example`;
    const b = `${fx.unique('https://b')}.example`;
    const c = `${fx.unique('https://c')}.example`;
    await store().clients.insert(fx.client({ web_origins: [a, b], allowed_origins: [c] }));
    await store().clients.insert(fx.client({ web_origins: [b], allowed_origins: [a] }));
    const origins = await store().clients.browserOrigins();
    for (const origin of [a, b, c]) assert.equal(origins.filter((o) => o === origin).length, 1, origin);
    assert.equal(new Set(origins).size, origins.length);
  });

  test('resource servers: round trip by identifier, every boolean both ways; unknown gives undefined', async () => {
    const one = fx.resourceServer();
    const two = fx.resourceServer({
      scopes: [],
      allow_offline_access: false,
      skip_consent_for_verifiable_first_party_clients: true,
      enforce_policies: false,
      is_system: true,
      signing_alg: 'RS256',
      token_dialect: 'access_token',
    });
    await store().resourceServers.insert(one);
    await store().resourceServers.insert(two);
    assert.deepEqual(await store().resourceServers.getByIdentifier(one.identifier), one);
    assert.deepEqual(await store().resourceServers.getByIdentifier(two.identifier), two);
    assert.equal(await store().resourceServers.getByIdentifier('https://unknown.example/'), undefined);
    await assert.rejects(
      store().resourceServers.insert(fx.resourceServer({ identifier: one.identifier })),
      'identifier is unique',
    );
  });

  test('resource servers: update changes only the given fields', async () => {
    const api = fx.resourceServer();
    await store().resourceServers.insert(api);
    const patch = { scopes: [{ value: 'admin' }], token_lifetime: 60, allow_offline_access: false, is_system: true };
    await store().resourceServers.update(api.id, patch);
    assert.deepEqual(await store().resourceServers.getByIdentifier(api.identifier), { ...api, ...patch });
  });

  test('client grants: found by client and audience only; update changes the scope', async () => {
    const web = fx.client();
    const other = fx.client();
    const api = fx.resourceServer();
    const api2 = fx.resourceServer();
    await store().clients.insert(web);
    await store().clients.insert(other);
    await store().resourceServers.insert(api);
    await store().resourceServers.insert(api2);
    const grant = fx.clientGrant(web.client_id, api.identifier);
    const empty = fx.clientGrant(web.client_id, api2.identifier, { scope: [] });
    await store().clientGrants.insert(grant);
    await store().clientGrants.insert(empty);
    assert.deepEqual(await store().clientGrants.find(web.client_id, api.identifier), grant);
    assert.deepEqual(await store().clientGrants.find(web.client_id, api2.identifier), empty);
    assert.equal(await store().clientGrants.find(other.client_id, api.identifier), undefined);
    assert.equal(await store().clientGrants.find(web.client_id, 'https://unknown.example/'), undefined);
    await store().clientGrants.update(grant.id, { scope: ['read:orders'] });
    assert.deepEqual(await store().clientGrants.find(web.client_id, api.identifier), {
      ...grant,
      scope: ['read:orders'],
    });
    assert.deepEqual(await store().clientGrants.find(web.client_id, api2.identifier), empty);
  });

  test('connections: round trip by name; list is oldest first; update changes only the given fields', async () => {
    const before = await store().connections.list();
    clock().advance(1000);
    const older = fx.connection({ name: fx.unique('zz-older') });
    await store().connections.insert(older);
    clock().advance(1000);
    const newer = fx.connection({ name: fx.unique('aa-newer'), options: {}, enabled_clients: [] });
    await store().connections.insert(newer);
    assert.deepEqual(await store().connections.getByName(older.name), older);
    assert.deepEqual(await store().connections.getByName(newer.name), newer);
    assert.equal(await store().connections.getByName('no-such-connection'), undefined);
    assert.deepEqual(await store().connections.list(), [...before, older, newer]);

    await store().connections.update(older.id, { enabled_clients: ['c'] });
    assert.deepEqual(await store().connections.getByName(older.name), { ...older, enabled_clients: ['c'] });
    assert.deepEqual(await store().connections.getByName(newer.name), newer);
  });

  test('users: round trip keeps every field, nulls and metadata included; email is stored lower-case', async () => {
    const full = fx.user({ email: `Ada.${fx.unique('x')}@Acme.TEST` });
    const bare = fx.bareUser();
    await store().users.insert(full);
    await store().users.insert(bare);
    // A new user has not signed in yet.
    const activity = { logins_count: 0, last_login: null, last_ip: null };
    assert.deepEqual(await store().users.get(full.user_id), {
      ...full,
      ...activity,
      email: full.email?.toLowerCase() ?? null,
    });
    assert.deepEqual(await store().users.get(bare.user_id), { ...bare, ...activity });
    assert.equal(await store().users.get('auth0|nobody'), undefined);
  });

  test('users: findByEmail ignores case and stays within its connection', async () => {
    const ada = fx.user({ email: `${fx.unique('ada')}@acme.test` });
    await store().users.insert(ada);
    assert.equal((await store().users.findByEmail(ada.connection, ada.email!.toUpperCase()))?.user_id, ada.user_id);
    assert.equal(await store().users.findByEmail('another-connection', ada.email!), undefined);
    assert.equal(await store().users.findByEmail(ada.connection, 'nobody@acme.test'), undefined);
  });

  test('users: update changes only the given fields and stamps updated_at with the clock', async () => {
    const ada = fx.user();
    const other = fx.user();
    await store().users.insert(ada);
    await store().users.insert(other);
    const at = clock().advance(5000);
    await store().users.update(ada.user_id, {
      blocked: true,
      email: 'NEW@Acme.Test',
      user_metadata: { a: [1] },
      nickname: null,
    });
    const activity = { logins_count: 0, last_login: null, last_ip: null };
    assert.deepEqual(await store().users.get(ada.user_id), {
      ...ada,
      ...activity,
      blocked: true,
      email: 'new@acme.test',
      user_metadata: { a: [1] },
      nickname: null,
      updated_at: at,
    });
    assert.deepEqual(await store().users.get(other.user_id), { ...other, ...activity });
  });

  test('roles: round trip by name; update changes the description', async () => {
    const admin = fx.role();
    await store().roles.insert(admin);
    assert.deepEqual(await store().roles.getByName(admin.name), admin);
    assert.equal(await store().roles.getByName('no-such-role'), undefined);
    await store().roles.update(admin.id, { description: 'Runs the place' });
    assert.deepEqual(await store().roles.getByName(admin.name), { ...admin, description: 'Runs the place' });
  });

  test('roles: setPermissions and setMembers replace the lists; permissionsOfUser merges roles, one API, each once', async () => {
    const api = 'https://api.example/';
    const reader = fx.role();
    const writer = fx.role();
    const ada = fx.user();
    const bob = fx.user();
    const eve = fx.user();
    for (const u of [ada, bob, eve]) await store().users.insert(u);
    await store().roles.insert(reader);
    await store().roles.insert(writer);

    await store().roles.setPermissions(reader.id, [
      { resource_server_identifier: 'https://other.example/', permission_name: 'x' },
    ]);
    const readerPermissions = [
      { resource_server_identifier: api, permission_name: 'read:orders' },
      { resource_server_identifier: 'https://other.example/', permission_name: 'read:other' },
    ];
    await store().roles.setPermissions(reader.id, readerPermissions);
    await store().roles.setPermissions(writer.id, [
      { resource_server_identifier: api, permission_name: 'write:orders' },
      { resource_server_identifier: api, permission_name: 'read:orders' },
    ]);
    assert.deepEqual(await store().roles.permissions(reader.id), readerPermissions);

    await store().roles.setMembers(reader.id, [eve.user_id]);
    await store().roles.setMembers(reader.id, [bob.user_id, ada.user_id]);
    await store().roles.setMembers(writer.id, [ada.user_id]);
    assert.deepEqual(await store().roles.members(reader.id), [ada.user_id, bob.user_id].sort());

    assert.deepEqual(await store().roles.permissionsOfUser(ada.user_id, api), ['read:orders', 'write:orders']);
    assert.deepEqual(await store().roles.permissionsOfUser(bob.user_id, api), ['read:orders']);
    assert.deepEqual(await store().roles.permissionsOfUser(bob.user_id, 'https://other.example/'), ['read:other']);
    assert.deepEqual(await store().roles.permissionsOfUser(eve.user_id, api), []);

    await store().roles.setPermissions(writer.id, []);
    await store().roles.setMembers(reader.id, []);
    assert.deepEqual(await store().roles.permissions(writer.id), []);
    assert.deepEqual(await store().roles.members(reader.id), []);
    assert.deepEqual(await store().roles.permissionsOfUser(ada.user_id, api), []);
  });

  test('signing keys: round trip, oldest first; setStatus stamps its own column; revoked keys are not published', async () => {
    const before = await store().signingKeys.list();
    const first = fx.signingKey({ created_at: T0 + 10_000, status: 'current', current_since: T0 + 10_000 });
    const second = fx.signingKey({ created_at: T0 + 20_000, alg: 'RS256' });
    await store().signingKeys.insert(second);
    await store().signingKeys.insert(first);
    assert.deepEqual(await store().signingKeys.list(), [...before, first, second]);

    await store().signingKeys.setStatus(second.kid, 'current', T0 + 30_000);
    await store().signingKeys.setStatus(first.kid, 'previous', T0 + 30_001);
    const promoted = { ...second, status: 'current' as const, current_since: T0 + 30_000 };
    const demoted = { ...first, status: 'previous' as const, previous_since: T0 + 30_001 };
    assert.deepEqual(await store().signingKeys.listPublished(), [
      ...before.filter((k) => k.status !== 'revoked'),
      demoted,
      promoted,
    ]);

    await store().signingKeys.setStatus(first.kid, 'revoked', T0 + 40_000);
    const revoked = { ...demoted, status: 'revoked' as const, revoked_at: T0 + 40_000 };
    assert.deepEqual(await store().signingKeys.listPublished(), [
      ...before.filter((k) => k.status !== 'revoked'),
      promoted,
    ]);
    assert.deepEqual(await store().signingKeys.list(), [...before, revoked, promoted]);
  });

  test('branding: no template at first; put stores and replaces; delete removes', async () => {
    assert.equal(await store().branding.getTemplate(), undefined);
    await store().branding.putTemplate('<html>{%- auth0:head -%}</html>');
    assert.equal(await store().branding.getTemplate(), '<html>{%- auth0:head -%}</html>');
    await store().branding.putTemplate('<html>v2 ✓</html>');
    assert.equal(await store().branding.getTemplate(), '<html>v2 ✓</html>');
    await store().branding.deleteTemplate();
    assert.equal(await store().branding.getTemplate(), undefined);
  });
});
