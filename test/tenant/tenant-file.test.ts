// An operator declares the tenant in a file (GATEHOUSE_BOOTSTRAP, docs/tenant-file.md) and starts Gatehouse with it,
// again and again: the example from docs/examples/ is applied in JSON and in YAML, a second start writes
// nothing, a changed field is updated, and a file with an error stops the start and changes nothing.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { verify as verifyArgon2 } from '@node-rs/argon2';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { stringify as toYaml } from 'yaml';
import { parseTenantFile, TenantFileError } from '../../src/tenant-file/parse.js';
import { forEachDatabase } from '../helpers/each-database.js';
import { API } from '../helpers/fixtures.js';
import { cliPath, killAllStartedChildren, repoRoot, runCli } from '../helpers/cli.js';
import { freePort, type RunningGatehouse, startGatehouse, TEST_SECRET } from '../helpers/server.js';
import { changedRows, type Snapshot, snapshotDatabase } from '../helpers/snapshot.js';

const exampleJson = join(repoRoot, 'docs/examples/tenant.json');
const exampleYaml = join(repoRoot, 'docs/examples/tenant.yaml');
const WORKER_SECRET = 'acme-worker-secret-change-me-0123456789abc';
/** Alice's password in docs/examples/tenant.json (not the fixtures' PASSWORD). */
const ALICE_PASSWORD = 'correct horse battery staple';
const BOB_BCRYPT = '$2a$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW';

type Tenant = Record<string, Record<string, unknown>[]> & { tenant: Record<string, unknown> };
const example = (): Tenant => JSON.parse(readFileSync(exampleJson, 'utf8')) as Tenant;

const dir = mkdtempSync(join(tmpdir(), 'gatehouse-tenant-test-'));
let fileCount = 0;
function writeFile(text: string, extension = 'json'): string {
  const path = join(dir, `tenant-${++fileCount}.${extension}`);
  writeFileSync(path, text);
  return path;
}
after(() => {
  killAllStartedChildren();
  rmSync(dir, { recursive: true, force: true });
});

test('docs/examples/tenant.yaml declares exactly what docs/examples/tenant.json does', () => {
  assert.deepEqual(
    parseTenantFile(readFileSync(exampleYaml, 'utf8'), exampleYaml),
    parseTenantFile(readFileSync(exampleJson, 'utf8'), exampleJson),
  );
});

forEachDatabase('tenant file', (db) => {
  let port: number;
  let server: RunningGatehouse | undefined;
  /** Starts Gatehouse with this tenant file; the issuer stays the same across starts. */
  async function start(path: string): Promise<RunningGatehouse> {
    await server?.close();
    server = undefined;
    server = await startGatehouse({ databaseUrl: db().url, port, env: { GATEHOUSE_BOOTSTRAP: path } });
    return server;
  }
  async function stop(): Promise<void> {
    await server?.close();
    server = undefined;
  }
  before(async () => {
    port = await freePort();
  });
  after(stop);

  test('the documented example tenant (docs/examples/tenant.json) creates every declared object', async () => {
    const { gatehouse, issuer, url } = await start(exampleJson);
    const { store } = gatehouse;

    const web = await store.clients.get('acme-web');
    assert.ok(web);
    assert.equal(web.name, 'Acme Web');
    assert.equal(web.app_type, 'regular_web');
    assert.equal(web.token_endpoint_auth_method, 'client_secret_basic');
    assert.deepEqual(web.grant_types, ['authorization_code', 'refresh_token']);
    assert.deepEqual(web.callbacks, ['http://localhost:8080/callback']);
    assert.deepEqual(web.allowed_logout_urls, ['http://localhost:8080/']);
    assert.deepEqual(web.web_origins, ['http://localhost:8080']);
    assert.equal(gatehouse.box.open(web.sealed_client_secret!), 'acme-web-secret-change-me-0123456789abcdef');
    assert.notEqual(
      web.sealed_client_secret,
      'acme-web-secret-change-me-0123456789abcdef',
      'secrets are sealed at rest',
    );
    // An expiring refresh token has a lifetime: the regular_web default (infinite) must not survive.
    assert.deepEqual(web.refresh_token, {
      rotation_type: 'rotating',
      expiration_type: 'expiring',
      token_lifetime: 2592000,
      idle_token_lifetime: 1296000,
      infinite_token_lifetime: false,
      infinite_idle_token_lifetime: false,
      leeway: 0,
    });
    assert.equal(web.jwt_configuration.lifetime_in_seconds, 36000);

    const spa = await store.clients.get('acme-spa');
    assert.equal(spa?.token_endpoint_auth_method, 'none');
    assert.equal(spa?.sealed_client_secret, null);
    const jobs = await store.clients.get('acme-jobs');
    assert.equal(jobs?.client_authentication_methods?.private_key_jwt?.credentials[0].alg, 'ES256');
    assert.equal(jobs?.sealed_client_secret, null);

    const api = await store.resourceServers.getByIdentifier(API);
    assert.ok(api);
    assert.equal(api.name, 'Acme API');
    assert.deepEqual(
      api.scopes.map((s) => s.value),
      ['read:items', 'write:items'],
    );
    assert.equal(api.allow_offline_access, true);
    assert.equal(api.token_lifetime_for_web, 7200, 'an undeclared field takes its default');
    assert.deepEqual((await store.clientGrants.find('acme-worker', API))?.scope, ['read:items']);
    assert.deepEqual((await store.connections.getByName('Username-Password-Authentication'))?.enabled_clients, [
      'acme-web',
      'acme-spa',
    ]);
    assert.equal((await store.connections.getByName('email'))?.strategy, 'email');
    const tenant = await store.tenant.get();
    assert.equal(tenant.friendly_name, 'Acme');
    assert.equal(tenant.default_audience, API);
    assert.equal(tenant.session_lifetime, 168);

    // The declared client can use what was declared for it.
    const response = await fetch(url('/oauth/token'), {
      method: 'POST',
      body: new URLSearchParams({
        grant_type: 'client_credentials',
        client_id: 'acme-worker',
        client_secret: WORKER_SECRET,
        audience: API,
      }),
    });
    const body = await response.json();
    assert.equal(response.status, 200, JSON.stringify(body));
    assert.equal(body.scope, 'read:items');
    const { payload } = await jwtVerify(body.access_token, createRemoteJWKSet(new URL(url('/.well-known/jwks.json'))), {
      issuer,
      audience: API,
    });
    assert.equal(payload.sub, 'acme-worker@clients');
  });

  test('a plain password is stored as an argon2id hash; a password_hash (bcrypt) is stored as is', async () => {
    const { store } = server!.gatehouse;
    const alice = await store.users.findByEmail('Username-Password-Authentication', 'alice@acme.test');
    assert.ok(alice);
    assert.match(alice.user_id, /^auth0\|/);
    assert.equal(alice.email_verified, true);
    assert.equal(alice.name, 'Alice');
    assert.ok(alice.password_hash?.startsWith('$argon2id$'), alice.password_hash ?? 'no hash');
    assert.equal(await verifyArgon2(alice.password_hash!, ALICE_PASSWORD), true);
    assert.equal(await verifyArgon2(alice.password_hash!, 'wrong password'), false);

    const bob = await store.users.findByEmail('Username-Password-Authentication', 'BOB@acme.test');
    assert.equal(bob?.password_hash, BOB_BCRYPT);
    assert.deepEqual(bob?.app_metadata, { plan: 'pro' });
  });

  test('roles get their permissions and users (users named by e-mail)', async () => {
    const { store } = server!.gatehouse;
    const alice = await store.users.findByEmail('Username-Password-Authentication', 'alice@acme.test');
    const bob = await store.users.findByEmail('Username-Password-Authentication', 'bob@acme.test');
    const reader = await store.roles.getByName('reader');
    const writer = await store.roles.getByName('writer');
    assert.ok(reader && writer && alice && bob);
    assert.equal(reader.description, 'Reads items');
    assert.equal(writer.description, '');
    assert.deepEqual(await store.roles.permissions(reader.id), [
      { resource_server_identifier: API, permission_name: 'read:items' },
    ]);
    assert.deepEqual(await store.roles.permissions(writer.id), [
      { resource_server_identifier: API, permission_name: 'read:items' },
      { resource_server_identifier: API, permission_name: 'write:items' },
    ]);
    assert.deepEqual(await store.roles.members(reader.id), [alice.user_id, bob.user_id].sort());
    assert.deepEqual(await store.roles.members(writer.id), [alice.user_id]);
  });

  test('starting again with the same file, in JSON and then in YAML, writes nothing', async () => {
    await stop();
    const first = await snapshotDatabase(db().url);
    assert.ok(
      first.clients.length >= 4 && first.users.length === 2 && first.user_roles.length === 3,
      'the snapshot sees the tenant',
    );
    await start(exampleJson);
    await stop();
    assert.deepEqual(changedRows(first, await snapshotDatabase(db().url)), []);
    await start(exampleYaml);
    await stop();
    assert.deepEqual(changedRows(first, await snapshotDatabase(db().url)), []);
  });

  test("a changed field is updated, undeclared objects are left alone, and a declared user's password is not reset", async () => {
    const before = await snapshotDatabase(db().url);
    const changed = example();
    const worker = changed.clients.find((c) => c.client_id === 'acme-worker')!;
    worker.name = 'Acme Worker (renamed)';
    changed.resource_servers[0].token_lifetime = 3600;
    // Undeclared now: acme-web's client entry, the email connection, bob, the writer role.
    changed.clients = changed.clients.filter((c) => c.client_id !== 'acme-web');
    changed.connections = changed.connections.filter((c) => c.name !== 'email');
    changed.users = changed.users.filter((u) => u.email !== 'bob@acme.test');
    changed.roles = changed.roles.filter((r) => r.name !== 'writer').map((r) => ({ ...r, users: ['alice@acme.test'] }));
    changed.users[0].password = 'a different password that must not be applied';

    const { store } = (await start(writeFile(JSON.stringify(changed)))).gatehouse;
    assert.equal((await store.clients.get('acme-worker'))?.name, 'Acme Worker (renamed)');
    assert.equal((await store.resourceServers.getByIdentifier(API))?.token_lifetime, 3600);
    const alice = await store.users.findByEmail('Username-Password-Authentication', 'alice@acme.test');
    assert.equal(await verifyArgon2(alice!.password_hash!, ALICE_PASSWORD), true);
    await stop();

    // Only the client, the API and the reader role's members changed (a role's declared `users` is the
    // whole list: bob left it; the store rewrites the role's member rows, so alice's row is new too).
    // acme-web, the email connection, bob, alice's password and the writer role are untouched.
    const diff = changedRows(before, await snapshotDatabase(db().url));
    const tables = diff.map((line) => line.split(':')[0]);
    assert.deepEqual(
      tables,
      [
        '+ clients',
        '+ resource_servers',
        '+ user_roles',
        '- clients',
        '- resource_servers',
        '- user_roles',
        '- user_roles',
      ],
      diff.join('\n'),
    );
    assert.match(
      diff.find((l) => l.startsWith('+ clients'))!,
      /"client_id":"acme-worker".*"name":"Acme Worker \(renamed\)"/,
    );
    assert.match(
      diff.find((l) => l.startsWith('+ user_roles'))!,
      new RegExp(`"user_id":"${alice!.user_id.replace('|', '\\|')}"`),
    );
  });

  // Each bad file is the example plus one valid new client (acme-new), then one error later in the file.
  // The start must fail with exactly this message and leave the database as it was: one transaction.
  const withNewClient = (mutate: (t: Tenant) => void): Tenant => {
    const t = example();
    t.clients.push({
      client_id: 'acme-new',
      client_secret: 'acme-new-secret-0123456789abcdefghijkl',
      app_type: 'non_interactive',
      grant_types: ['client_credentials'],
    });
    mutate(t);
    return t;
  };
  const json = (mutate: (t: Tenant) => void) => () => writeFile(JSON.stringify(withNewClient(mutate), null, 2));
  const errorCases: { name: string; file: () => string; message: (path: string) => string }[] = [
    {
      name: 'client secret shorter than 32 characters',
      file: json((t) => (t.clients[1].client_secret = 'only-31-characters-long-secret!')),
      message: () => 'clients[1] (acme-worker): client_secret must NOT have fewer than 32 characters',
    },
    {
      name: 'unknown field',
      file: json((t) => (t.clients[1].colour = 'blue')),
      message: () => 'clients[1] (acme-worker): unknown field "colour"',
    },
    {
      name: 'unknown nested field',
      file: json((t) => ((t.clients[0].refresh_token as Record<string, unknown>).rotation = 'rotating')),
      message: () => 'clients[0] (acme-web): unknown field "refresh_token.rotation"',
    },
    {
      name: 'bad enum value',
      file: json((t) => (t.clients[1].app_type = 'server')),
      message: () =>
        'clients[1] (acme-worker): app_type must be one of regular_web, spa, native, non_interactive, not "server"',
    },
    {
      name: 'client grant to an unknown API',
      file: json((t) => t.client_grants.push({ client_id: 'acme-new', audience: 'https://nope.acme.test', scope: [] })),
      message: () =>
        'client_grants[2] (acme-new → https://nope.acme.test): audience "https://nope.acme.test" is not an API (resource server)',
    },
    {
      name: 'client grant scope the API does not define',
      file: json((t) =>
        t.client_grants.push({ client_id: 'acme-new', audience: API, scope: ['read:items', 'delete:items'] }),
      ),
      message: () =>
        'client_grants[2] (acme-new → https://api.acme.test): scope delete:items is not defined by https://api.acme.test',
    },
    {
      name: 'user in a connection that does not exist',
      file: json((t) =>
        t.users.push({ connection: 'Corporate', email: 'carol@acme.test', password: 'carol password' }),
      ),
      message: () => 'users[2] (carol@acme.test): connection "Corporate" does not exist',
    },
    {
      name: 'role with an unknown user',
      file: json((t) => (t.roles[0].users as string[]).push('nobody@acme.test')),
      message: () => 'roles[0] (reader): users has "nobody@acme.test", which is not a user',
    },
    {
      name: 'duplicate client_id',
      file: json((t) => t.clients.push({ client_id: 'acme-worker', client_secret: WORKER_SECRET })),
      message: () => 'clients[5] (acme-worker): client_id is already declared by clients[1]',
    },
    {
      name: 'invalid JSON (a trailing comma)',
      file: () =>
        writeFile(
          JSON.stringify(
            withNewClient(() => {}),
            null,
            2,
          ).replace(/\n}$/, ',\n}'),
        ),
      message: (path) => {
        const text = readFileSync(path, 'utf8');
        return `${path} is not valid JSON: Expected double-quoted property name in JSON at position ${text.length - 1} (line ${text.split('\n').length}, column 1)`;
      },
    },
    {
      name: 'invalid YAML (a key given twice)',
      file: () => writeFile(`${toYaml(withNewClient(() => {}))}clients: []\n`, 'yaml'),
      message: (path) =>
        `${path} is not valid YAML: Map keys must be unique at line ${readFileSync(path, 'utf8').split('\n').length - 1}, column 1`,
    },
    {
      name: 'callback that is not an absolute URL',
      file: json((t) => (t.clients[0].callbacks = ['/callback'])),
      message: () => 'clients[0] (acme-web): callbacks "/callback" is not an absolute URL',
    },
    {
      name: 'callback with a fragment',
      file: json((t) => (t.clients[0].callbacks = ['http://localhost:8080/callback#top'])),
      message: () => 'clients[0] (acme-web): callbacks "http://localhost:8080/callback#top" must not have a fragment',
    },
    {
      name: 'web origin with a path',
      file: json((t) => (t.clients[0].web_origins = ['http://localhost:8080/app'])),
      message: () =>
        'clients[0] (acme-web): web_origins "http://localhost:8080/app" must be an origin (scheme://host[:port])',
    },
    {
      name: 'public client with client_credentials',
      file: json((t) => (t.clients[2].grant_types as string[]).push('client_credentials')),
      message: () =>
        'clients[2] (acme-spa): grant_types cannot include client_credentials for a public client (token_endpoint_auth_method none)',
    },
    {
      name: 'public client by default (native) with client_credentials',
      file: json((t) =>
        t.clients.push({ client_id: 'acme-mobile', app_type: 'native', grant_types: ['client_credentials'] }),
      ),
      message: () =>
        'clients[5] (acme-mobile): grant_types cannot include client_credentials for a public client (token_endpoint_auth_method none)',
    },
    {
      name: 'public client trusted to send auth0-forwarded-for',
      file: json((t) => (t.clients[2].is_token_endpoint_ip_header_trusted = true)),
      message: () =>
        'clients[2] (acme-spa): is_token_endpoint_ip_header_trusted needs a client that authenticates (token_endpoint_auth_method is none)',
    },
    {
      name: 'private_key_jwt credential that is not a PEM key',
      file: json((t) => {
        const methods = t.clients[3].client_authentication_methods as {
          private_key_jwt: { credentials: { pem: string }[] };
        };
        methods.private_key_jwt.credentials[0].pem = 'MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE';
      }),
      message: () =>
        'clients[3] (acme-jobs): client_authentication_methods.private_key_jwt.credentials[0].pem is not a PEM public key',
    },
    {
      name: 'both password and password_hash',
      file: json((t) => (t.users[1].password = 'another password')),
      message: () => 'users[1] (bob@acme.test): give password or password_hash, not both',
    },
  ];

  for (const { name, file, message } of errorCases) {
    test(`a tenant file with an error changes nothing: ${name}`, async () => {
      await stop();
      const before: Snapshot = await snapshotDatabase(db().url);
      const path = file();
      await assert.rejects(start(path), (error: unknown) => {
        assert.ok(error instanceof TenantFileError, String(error));
        assert.equal(error.message, message(path));
        return true;
      });
      const after = await snapshotDatabase(db().url);
      assert.deepEqual(changedRows(before, after), []);
      assert.ok(!after.clients.some((row) => row.client_id === 'acme-new'));
    });
  }

  test('the example still starts after all that', async () => {
    const { gatehouse } = await start(exampleJson);
    assert.equal((await gatehouse.store.clients.get('acme-worker'))?.name, 'Acme Worker');
    assert.equal(await gatehouse.store.clients.get('acme-new'), undefined);
  });
});

test('the CLI stops on a bad tenant file with exit code 1 and one line, "gatehouse: <message>", no stack', async () => {
  const bad = example();
  bad.clients[1].client_secret = 'short';
  const path = writeFile(JSON.stringify(bad));
  const result = await runCli(['start'], {
    GATEHOUSE_PORT: String(await freePort()),
    GATEHOUSE_DATABASE_URL: `sqlite:${join(dir, 'cli', 'gatehouse.db')}`,
    GATEHOUSE_SECRET: TEST_SECRET,
    GATEHOUSE_BOOTSTRAP: path,
  });
  assert.equal(result.code, 1, `${cliPath}: ${result.stderr}`);
  assert.equal(
    result.stderr,
    'gatehouse: clients[1] (acme-worker): client_secret must NOT have fewer than 32 characters\n',
  );
  assert.doesNotMatch(result.stdout + result.stderr, /\n\s+at /);
  assert.doesNotMatch(result.stdout, /listening/);
});
