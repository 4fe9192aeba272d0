// An operator keeps the tenant in git: `gatehouse tenant export` writes it (after it was built through the
// Management API, with every kind of object), `gatehouse tenant apply` makes another database the same (export →
// apply on an empty database → export gives the same bytes), `diff` and `--dry-run` show each change without
// making it, `--prune` deletes what the file does not declare but never the operator's client, the Management API
// or the signing keys, and secrets travel as `${NAME}` placeholders filled from the environment.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { parse as parseYaml, stringify as toYaml } from 'yaml';
import {
  ADMIN_ID,
  ADMIN_SECRET,
  type AdminApi,
  adminEnv,
  clientCredentials,
  startWithAdmin,
} from '../helpers/admin-api.js';
import { killAllStartedChildren, runCli } from '../helpers/cli.js';
import type { TestDatabase } from '../helpers/databases.js';
import { forEachDatabase } from '../helpers/each-database.js';
import { TEST_SECRET } from '../helpers/server.js';

const API = 'https://api.shop.test';
const PAGE_TEMPLATE = '<!DOCTYPE html><html><head>{%- auth0:head -%}</head><body>{%- auth0:widget -%}</body></html>';
/** What the placeholders of an export without --secrets are filled with when applied elsewhere. */
const SECRETS = {
  CLIENT_SECRET_SHOP_WEB: 'shop-web-secret-0123456789-abcdefghijklmnopqrstuv',
  CLIENT_SECRET_SHOP_WORKER: 'shop-worker-secret-0123456789-abcdefghijklmnopqrs',
};

const dir = mkdtempSync(join(tmpdir(), 'gatehouse-tenant-code-'));
let files = 0;
function writeFile(text: string, extension = 'yaml'): string {
  const path = join(dir, `tenant-${++files}.${extension}`);
  writeFileSync(path, text);
  return path;
}
after(() => {
  killAllStartedChildren();
  rmSync(dir, { recursive: true, force: true });
});

test('gatehouse tenant --help lists the subcommands and their flags', async () => {
  const result = await runCli(['tenant', '--help'], {});
  assert.equal(result.code, 0, result.stderr);
  for (const word of [
    'export',
    'apply <file>',
    'diff <file>',
    '--secrets',
    '--users',
    '--format',
    '--output',
    '--dry-run',
    '--prune',
  ])
    assert.ok(result.stdout.includes(word), `${word} in:\n${result.stdout}`);
});

/** Builds a tenant through the Management API with each kind of object a tenant file holds. */
async function populate(it: AdminApi) {
  const call = async (method: string, path: string, body?: unknown) => {
    const answer = await it.call(path, it.adminToken, { method, body });
    assert.ok(answer.status < 300, `${method} ${path}: ${answer.status} ${JSON.stringify(answer.body)}`);
    return answer.body;
  };
  await call('POST', '/resource-servers', {
    identifier: API,
    name: 'Shop API',
    scopes: [{ value: 'read:orders', description: 'Read orders' }, { value: 'write:orders' }],
    allow_offline_access: true,
    enforce_policies: true,
    token_dialect: 'access_token_authz',
  });
  const web = await call('POST', '/clients', {
    name: 'Shop Web',
    app_type: 'regular_web',
    callbacks: ['https://shop.test/callback'],
    allowed_logout_urls: ['https://shop.test/'],
    client_metadata: { tier: 'gold' },
  });
  await call('POST', '/clients', { name: 'Shop SPA', app_type: 'spa', web_origins: ['https://shop.test'] });
  const worker = await call('POST', '/clients', { name: 'Shop Worker', app_type: 'non_interactive' });
  await call('POST', '/client-grants', { client_id: worker.client_id, audience: API, scope: ['read:orders'] });
  await call('POST', '/connections', {
    name: 'Shop-Users',
    strategy: 'auth0',
    enabled_clients: [web.client_id],
    options: { disable_signup: true },
  });
  const role = await call('POST', '/roles', { name: 'shopper', description: 'Buys things' });
  await call('POST', `/roles/${role.id}/permissions`, {
    permissions: [{ resource_server_identifier: API, permission_name: 'read:orders' }],
  });
  const user = await call('POST', '/users', {
    connection: 'Shop-Users',
    email: 'ann@shop.test',
    password: 'a long enough password 1',
    name: 'Ann',
    user_metadata: { theme: 'dark' },
  });
  await call('POST', `/roles/${role.id}/users`, { users: [user.user_id] });
  await call('PATCH', '/tenants/settings', {
    friendly_name: 'Shop',
    default_audience: API,
    default_directory: 'Shop-Users',
    enabled_locales: ['en', 'fr'],
  });
  await call('PATCH', '/branding', { colors: { primary: '#112233' }, logo_url: 'https://shop.test/logo.png' });
  await call('PUT', '/branding/templates/universal-login', { template: PAGE_TEMPLATE });
  await call('PUT', '/email-templates/verify_email', {
    template: 'verify_email',
    body: '<p>Hello {{ user.email }}</p>',
    subject: 'Verify your e-mail',
    from: 'shop@shop.test',
    syntax: 'liquid',
    enabled: true,
  });
  return {
    web: web.client_id as string,
    worker: worker.client_id as string,
    workerSecret: worker.client_secret as string,
  };
}

forEachDatabase('gatehouse tenant export | apply | diff', (db, kind) => {
  let it: AdminApi;
  let ids: Awaited<ReturnType<typeof populate>>;
  let exported: string;
  let empty: TestDatabase;
  const env = (database: TestDatabase, more: Record<string, string> = {}) => ({
    GATEHOUSE_DATABASE_URL: database.url,
    GATEHOUSE_SECRET: TEST_SECRET,
    GATEHOUSE_ISSUER: it.server.issuer,
    GATEHOUSE_LOG_LEVEL: 'silent',
    ...adminEnv,
    ...more,
  });
  const cli = (args: string[], database = db(), more: Record<string, string> = {}) => runCli(args, env(database, more));
  const exportOf = async (database = db(), args: string[] = ['--users']) => {
    const result = await cli(['tenant', 'export', ...args], database);
    assert.equal(result.code, 0, result.stderr);
    return result.stdout;
  };

  before(async () => {
    it = await startWithAdmin(db(), {});
    ids = await populate(it);
    empty = await kind.create();
  });
  after(async () => {
    await it?.server.close();
    await empty?.drop();
  });

  test('export writes every kind of object, secrets as placeholders, in a stable order', async () => {
    exported = await exportOf();
    assert.equal(await exportOf(), exported, 'a second export gives the same bytes');
    const file = parseYaml(exported) as Record<string, Record<string, unknown>[]>;
    assert.deepEqual(Object.keys(file), [
      'tenant',
      'branding',
      'resource_servers',
      'clients',
      'client_grants',
      'connections',
      'roles',
      'email_templates',
      'users',
    ]);
    const web = file.clients.find((c) => c.name === 'Shop Web')!;
    assert.equal(web.client_secret, `\${CLIENT_SECRET_SHOP_WEB}`);
    assert.ok(!exported.includes(ids.workerSecret), 'no secret without --secrets');
    assert.ok(!file.clients.some((c) => c.client_id === ADMIN_ID), "the operator's client is the configuration's");
    assert.deepEqual(file.roles[0].permissions, [{ permission_name: 'read:orders', resource_server_identifier: API }]);
    assert.deepEqual((file.branding as unknown as Record<string, unknown>).templates, [
      { template: 'universal_login', body: PAGE_TEMPLATE },
    ]);
    assert.equal(file.email_templates[0].template, 'verify_email');
    assert.equal(file.users[0].email, 'ann@shop.test');
    assert.ok(!('password_hash' in file.users[0]));
    assert.deepEqual((file.tenant as unknown as Record<string, unknown>).enabled_locales, ['en', 'fr']);
    const withSecrets = await exportOf(db(), ['--secrets']);
    assert.ok(withSecrets.includes(ids.workerSecret), '--secrets writes the values');
  });

  test('export → apply on an empty database → export gives the same bytes; applying again changes nothing', async () => {
    const path = writeFile(exported);
    const applied = await cli(['tenant', 'apply', path], empty, SECRETS);
    assert.equal(applied.code, 0, applied.stderr);
    assert.match(applied.stdout, /^create client .+$/m);
    assert.match(applied.stdout, /Applied \d+ changes\.\n$/);
    assert.equal(await exportOf(empty), exported);

    const again = await cli(['tenant', 'apply', path], empty, SECRETS);
    assert.equal(again.code, 0, again.stderr);
    assert.equal(again.stdout, 'No changes: the tenant is as the file declares.\n');

    // The same in JSON.
    const json = await cli(['tenant', 'export', '--users', '--format', 'json'], db());
    assert.equal(json.code, 0, json.stderr);
    assert.equal((await cli(['tenant', 'export', '--users', '--format', 'json'], empty)).stdout, json.stdout);
    assert.deepEqual(JSON.parse(json.stdout), parseYaml(exported));
  });

  test('diff exits 0 when equal and 1 with each kind of change; --dry-run prints them and changes nothing', async () => {
    const same = await cli(['tenant', 'diff', writeFile(exported)], db(), SECRETS);
    // The placeholders' values differ from the secrets the Management API generated.
    assert.equal(same.code, 1, same.stderr);
    assert.deepEqual(
      lines(same.stdout),
      ['2 changes.', `update client ${ids.web}: client_secret`, `update client ${ids.worker}: client_secret`].sort(),
    );
    const withSecrets = writeFile(await exportOf(db(), ['--users', '--secrets']));
    const equal = await cli(['tenant', 'diff', withSecrets], db());
    assert.deepEqual([equal.code, equal.stdout], [0, 'No changes: the tenant is as the file declares.\n']);

    const file = parseYaml(await exportOf(db(), ['--users', '--secrets'])) as Record<string, Record<string, unknown>[]>;
    file.clients.push({ client_id: 'shop-new', name: 'Shop New', app_type: 'spa' });
    file.clients.find((c) => c.client_id === ids.web)!.callbacks = ['https://shop.test/other'];
    file.resource_servers[0].name = 'Shop API v2';
    file.roles = [];
    const changed = writeFile(toYaml(file));
    const expected = [
      `update resource server ${API}: name`,
      `update client ${ids.web}: callbacks`,
      'create client shop-new',
    ];
    const diff = await cli(['tenant', 'diff', changed], db());
    assert.equal(diff.code, 1, diff.stderr);
    assert.deepEqual(lines(diff.stdout), [...expected, '3 changes.'].sort());
    const pruned = await cli(['tenant', 'diff', changed, '--prune'], db());
    assert.equal(pruned.code, 1, pruned.stderr);
    assert.deepEqual(lines(pruned.stdout), [...expected, 'delete role shopper', '4 changes.'].sort());

    const before = await exportOf();
    const dry = await cli(['tenant', 'apply', changed, '--dry-run', '--prune'], db());
    assert.equal(dry.code, 0, dry.stderr);
    assert.deepEqual(
      lines(dry.stdout),
      [...expected, 'delete role shopper', 'Dry run: 4 changes would be made; nothing was changed.'].sort(),
    );
    assert.equal(await exportOf(), before, '--dry-run changed nothing');
  });

  test('a missing variable stops the apply with nothing changed; a filled one reaches the running server', async () => {
    const before = await exportOf();
    const file = parseYaml(exported) as Record<string, Record<string, unknown>[]>;
    file.clients.find((c) => c.client_id === ids.web)!.description = 'changed too';
    const path = writeFile(toYaml(file));
    const missing = await cli(['tenant', 'apply', path], db(), {
      CLIENT_SECRET_SHOP_WEB: SECRETS.CLIENT_SECRET_SHOP_WEB,
    });
    assert.equal(missing.code, 1);
    assert.equal(
      missing.stderr.replace(/clients\[\d\]/, 'clients[i]'),
      `gatehouse: clients[i] (${ids.worker}): client_secret is \${CLIENT_SECRET_SHOP_WORKER}, but the environment variable CLIENT_SECRET_SHOP_WORKER is not set; nothing was changed\n`,
    );
    assert.equal(await exportOf(), before, 'nothing changed');

    // The running server has the worker's secret cached; the apply's commit makes it read the new one.
    const token = (secret: string) => clientCredentials(it.server, ids.worker, secret, API);
    assert.equal((await token(ids.workerSecret)).status, 200);
    const applied = await cli(['tenant', 'apply', path], db(), SECRETS);
    assert.equal(applied.code, 0, applied.stderr);
    assert.match(applied.stdout, new RegExp(`^update client ${ids.worker}: client_secret$`, 'm'));
    await waitForStatus(() => token(SECRETS.CLIENT_SECRET_SHOP_WORKER), 200);
    assert.equal((await token(ids.workerSecret)).status, 401);
  });

  test('a malformed file is one line that says what is wrong, and changes nothing', async () => {
    const before = await exportOf();
    const cases: [string, string, RegExp][] = [
      ['clients: [\n  - client_id: x\n', 'yaml', /^gatehouse: \S+\/tenant-\d+\.yaml is not valid YAML: .+\n$/],
      [
        '{"clients": [{"client_id": "x", "colour": "red"}]}',
        'json',
        /^gatehouse: clients\[0\] \(x\): unknown field "colour"\n$/,
      ],
      [
        'email_templates:\n  - template: verify_email\n    body: "{% if %}"\n',
        'yaml',
        /^gatehouse: email_templates\[0\] \(verify_email\): body is not a valid Liquid template: .+\n$/,
      ],
    ];
    for (const [text, extension, message] of cases) {
      const result = await cli(['tenant', 'apply', writeFile(text, extension)], db());
      assert.equal(result.code, 1, text);
      assert.match(result.stderr, message);
    }
    assert.equal(await exportOf(), before);
  });

  test('--prune deletes what the file leaves out, but never the operator client, the Management API or the keys', async () => {
    const path = writeFile('{}', 'json');
    const result = await cli(['tenant', 'apply', path, '--prune'], db());
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /^delete client /m);
    assert.match(result.stdout, /^delete resource server https:\/\/api\.shop\.test$/m);
    // The defaults that named the deleted API and connection went with them, so the export applies as it is.
    assert.match(result.stdout, /^update tenant settings: default_audience, default_directory$/m);
    const after = await exportOf();
    const again = await cli(['tenant', 'apply', writeFile(after), '--prune'], db());
    assert.deepEqual(
      [again.code, again.stdout],
      [0, 'No changes: the tenant is as the file declares.\n'],
      again.stderr,
    );
    const file = parseYaml(after) as Record<string, unknown[]>;
    for (const list of [
      'resource_servers',
      'clients',
      'client_grants',
      'connections',
      'roles',
      'email_templates',
      'users',
    ])
      assert.deepEqual(file[list], [], list);
    const operator = await clientCredentials(it.server, ADMIN_ID, ADMIN_SECRET, it.audience);
    assert.equal(operator.status, 200, JSON.stringify(operator.body));
    const jwks = (await (await fetch(it.server.url('/.well-known/jwks.json'))).json()) as { keys: unknown[] };
    assert.ok(jwks.keys.length > 0);
  });
});

/** The output's lines, sorted: the order of objects within a kind follows their random ids. */
const lines = (output: string) => output.trimEnd().split('\n').sort();

/** Polls until the request answers `status` (a cache may need a moment to see another process's commit). */
async function waitForStatus(request: () => Promise<{ status: number }>, status: number) {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const answer = await request();
    if (answer.status === status) return;
    if (Date.now() > deadline) assert.equal(answer.status, status);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
