// Leaving Auth0 with the users and their passwords, through the real CLI on both databases: `gatehouse users
// import` takes Auth0's bulk import file with a hash of every scheme Auth0 takes (each made here by the library
// other systems use: bcryptjs, @node-rs/argon2, node:crypto), and Auth0's NDJSON password-hash export as it is
// delivered; each user then signs in at /oauth/token with the original password, and the stored hash is argon2id
// afterwards (read back with `gatehouse users export --with-hashes`). A malformed row is reported with its reason
// while the rest are imported; upsert false and true; export → delete → import gives back the same users.
import assert from 'node:assert/strict';
import { createHash, createHmac, pbkdf2Sync } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { hash as argon2Hash } from '@node-rs/argon2';
import bcrypt from 'bcryptjs';
import { adminEnv, managementClient, managementToken } from '../helpers/admin-api.js';
import { runCli } from '../helpers/cli.js';
import { forEachDatabase } from '../helpers/each-database.js';
import { DB, tenant } from '../helpers/fixtures.js';
import { postToken } from '../helpers/http-client.js';
import { type RunningGatehouse, startGatehouse, TEST_SECRET } from '../helpers/server.js';

const SECRET = 'backend-secret-0123456789-abcdefghijklmnopqrstu';
const backend = {
  client_id: 'backend',
  client_secret: SECRET,
  name: 'Backend',
  app_type: 'regular_web',
  token_endpoint_auth_method: 'client_secret_post',
  grant_types: ['password', 'refresh_token'],
  callbacks: [],
};

const b64 = (bytes: Buffer) => bytes.toString('base64').replace(/=+$/, '');
const pw = (name: string) => `Original-${name}-password-1`;

/** One user per scheme: the custom_password_hash (or password_hash) another system would have stored. */
async function hashedUsers(): Promise<Record<string, unknown>[]> {
  const salt = 'NaCl-salt';
  const pbkdf2Salt = Buffer.from('0123456789abcdef');
  const ldapSalt = Buffer.from('ldapsalt');
  const hmacKey = Buffer.from('the-hmac-key');
  const row = (name: string, hash: Record<string, unknown>) => ({
    email: `${name}@legacy.test`,
    email_verified: true,
    user_id: `legacy-${name}`,
    given_name: name,
    ...hash,
  });
  const custom = (name: string, value: Record<string, unknown>) => row(name, { custom_password_hash: value });
  return [
    row('bcrypt', { password_hash: bcrypt.hashSync(pw('bcrypt'), 10) }),
    custom('custombcrypt', { algorithm: 'bcrypt', hash: { value: bcrypt.hashSync(pw('custombcrypt'), 4) } }),
    custom('argon2', {
      algorithm: 'argon2',
      hash: { value: await argon2Hash(pw('argon2'), { algorithm: 1 /* argon2i */, memoryCost: 1024, timeCost: 2 }) },
    }),
    custom('pbkdf2', {
      algorithm: 'pbkdf2',
      hash: {
        value: `$pbkdf2-sha256$i=10000,l=32$${b64(pbkdf2Salt)}$${b64(pbkdf2Sync(pw('pbkdf2'), pbkdf2Salt, 10000, 32, 'sha256'))}`,
        encoding: 'utf8',
      },
    }),
    custom('sha1', {
      algorithm: 'sha1',
      hash: { value: createHash('sha1').update(pw('sha1')).digest('hex'), encoding: 'hex' },
    }),
    custom('sha256', {
      algorithm: 'sha256',
      hash: {
        value: createHash('sha256')
          .update(salt + pw('sha256'))
          .digest('hex'),
        encoding: 'hex',
      },
      salt: { value: salt, position: 'prefix' },
    }),
    custom('sha512', {
      algorithm: 'sha512',
      hash: {
        value: createHash('sha512')
          .update(Buffer.concat([Buffer.from(pw('sha512')), Buffer.from('c0ffee', 'hex')]))
          .digest('base64'),
        encoding: 'base64',
      },
      salt: { value: 'c0ffee', encoding: 'hex', position: 'suffix' },
    }),
    custom('md5', {
      algorithm: 'md5',
      hash: {
        value: createHash('md5')
          .update(pw('md5') + salt)
          .digest('hex'),
      },
      salt: { value: salt, position: 'suffix' },
    }),
    custom('hmac', {
      algorithm: 'hmac',
      hash: {
        value: createHmac('sha256', hmacKey)
          .update(salt + pw('hmac'))
          .digest('base64'),
        encoding: 'base64',
        digest: 'sha256',
        key: { value: hmacKey.toString('base64'), encoding: 'base64' },
      },
      salt: { value: salt, position: 'prefix' },
    }),
    custom('ldapsha', {
      algorithm: 'ldap',
      hash: { value: `{SHA}${createHash('sha1').update(pw('ldapsha')).digest('base64')}` },
    }),
    custom('ldapssha', {
      algorithm: 'ldap',
      hash: {
        value: `{SSHA}${Buffer.concat([createHash('sha1').update(pw('ldapssha')).update(ldapSalt).digest(), ldapSalt]).toString('base64')}`,
      },
    }),
  ];
}

function writeFile(name: string, text: string): string {
  const path = join(mkdtempSync(join(tmpdir(), 'gatehouse-import-')), name);
  writeFileSync(path, text);
  return path;
}

const ndjson = (rows: unknown[]) => `${rows.map((row) => JSON.stringify(row)).join('\n')}\n`;

forEachDatabase('gatehouse users import and export', (db) => {
  let server: RunningGatehouse;
  const env = () => ({ GATEHOUSE_DATABASE_URL: db().url, GATEHOUSE_SECRET: TEST_SECRET });
  const cli = (...args: string[]) => runCli(args, env());
  const signIn = (email: string, password: string) =>
    postToken(server, {
      grant_type: 'password',
      username: email,
      password,
      client_id: 'backend',
      client_secret: SECRET,
    });
  /** The stored hashes by e-mail, read back through the CLI's export. */
  async function storedHashes(): Promise<Map<string, Record<string, unknown>>> {
    const out = await cli('users', 'export', '--connection', DB, '--with-hashes');
    assert.equal(out.code, 0, out.stderr);
    const rows = out.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    return new Map(rows.map((row) => [row.email as string, row]));
  }
  const admin = async () => managementClient(server, await managementToken(server));

  before(async () => {
    server = await startGatehouse({
      databaseUrl: db().url,
      env: adminEnv,
      tenant: tenant({ clients: [backend], users: [] }),
    });
  });
  after(() => server?.close());

  test('every hash scheme imports, signs in with the original password, and is argon2id afterwards', async () => {
    const users = await hashedUsers();
    const file = writeFile('users.json', JSON.stringify(users, null, 2));
    const out = await cli('users', 'import', file, '--connection', DB);
    assert.equal(out.code, 0, out.stdout + out.stderr);
    assert.deepEqual(JSON.parse(out.stdout.trim()), {
      summary: { failed: 0, updated: 0, inserted: users.length, total: users.length },
    });
    for (const user of users) {
      const name = user.given_name as string;
      const wrong = await signIn(user.email as string, 'not-the-password');
      assert.equal(wrong.status, 403, `${name}: a wrong password is refused`);
      const answer = await signIn(user.email as string, pw(name));
      assert.equal(answer.status, 200, `${name}: ${JSON.stringify(answer.body)}`);
    }
    const hashes = await storedHashes();
    for (const user of users) {
      const stored = hashes.get(user.email as string)!;
      assert.equal(stored.user_id, `auth0|${user.user_id}`, 'the user_id is kept');
      const value = (stored.custom_password_hash as { hash: { value: string } }).hash.value;
      assert.match(value, /^\$argon2id\$/, `${user.given_name}: upgraded to argon2id at sign-in`);
    }
    // And the upgraded hash still takes the password.
    assert.equal((await signIn('sha1@legacy.test', pw('sha1'))).status, 200);
  });

  test("Auth0's NDJSON password-hash export imports as delivered", async () => {
    const rows = ['60425da93519d90068f82966', '60425da93519d90068f82967'].map((oid, i) => ({
      _id: { $oid: oid },
      email_verified: i === 0,
      email: `exported${i}@auth0.test`,
      passwordHash: bcrypt.hashSync(`Exported-password-${i}`, 4).replace(/^\$2a\$/, '$2b$'),
      password_set_date: { $date: '2024-03-05T16:40:09.968Z' },
      tenant: 'dev-acme',
      connection: DB,
      _tmp_is_unique: true,
    }));
    const out = await cli('users', 'import', writeFile('export.json', ndjson(rows)), '--connection', DB);
    assert.equal(out.code, 0, out.stdout + out.stderr);
    assert.deepEqual(JSON.parse(out.stdout.trim()).summary, { failed: 0, updated: 0, inserted: 2, total: 2 });
    assert.equal((await signIn('exported1@auth0.test', 'Exported-password-1')).status, 200);
    const user = await (await admin()).users.get('auth0|60425da93519d90068f82966');
    assert.equal(user.email, 'exported0@auth0.test');
    assert.equal(user.email_verified, true);
  });

  test('a malformed row is reported with its reason and the rest are imported', async () => {
    const text = [
      JSON.stringify({ email: 'good1@rows.test', password_hash: bcrypt.hashSync('Good-password-1', 4) }),
      '{"email": "broken@rows.test", ',
      JSON.stringify({ given_name: 'no e-mail' }),
      JSON.stringify({
        email: 'badhash@rows.test',
        custom_password_hash: { algorithm: 'sha256', hash: { value: 'zz' } },
      }),
      JSON.stringify({
        email: 'md4@rows.test',
        custom_password_hash: { algorithm: 'whirlpool', hash: { value: 'ab' } },
      }),
      JSON.stringify({ email: 'good2@rows.test', name: 'Good Two' }),
    ].join('\n');
    const out = await cli('users', 'import', writeFile('rows.ndjson', text), '--connection', DB);
    assert.equal(out.code, 2, 'failed rows make the exit status 2');
    const lines = out.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    assert.deepEqual(lines.at(-1), { summary: { failed: 4, updated: 0, inserted: 2, total: 6 } });
    const errors = lines.slice(0, -1).map((line) => line.errors[0]);
    assert.equal(errors[0].code, 'INVALID_JSON');
    assert.deepEqual(errors[1], {
      code: 'OBJECT_MISSING_REQUIRED_PROPERTY',
      message: 'Missing required property: email',
      path: 'email',
    });
    assert.equal(errors[2].code, 'INVALID_FORMAT');
    assert.equal(errors[2].path, 'custom_password_hash');
    assert.match(errors[2].message, /hash\.value is not valid hex/);
    assert.match(errors[3].message, /algorithm must be one of/);
    assert.equal((await signIn('good1@rows.test', 'Good-password-1')).status, 200);
    const [good2] = await (await admin()).users.listUsersByEmail({ email: 'good2@rows.test' });
    assert.equal(good2.name, 'Good Two');
  });

  test('upsert false reports an existing user; upsert true updates it', async () => {
    const row = { email: 'good2@rows.test', name: 'Renamed', password_hash: bcrypt.hashSync('New-password-2', 4) };
    const file = writeFile('again.json', JSON.stringify([row]));
    const refused = await cli('users', 'import', file, '--connection', DB);
    assert.equal(refused.code, 2);
    const [failure, summary] = refused.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    assert.deepEqual(failure, {
      user: row,
      errors: [{ code: 'DUPLICATED_USER', message: 'The user already exist and upsert parameter is false' }],
    });
    assert.deepEqual(summary.summary, { failed: 1, updated: 0, inserted: 0, total: 1 });
    const updated = await cli('users', 'import', file, '--connection', DB, '--upsert');
    assert.equal(updated.code, 0, updated.stdout);
    assert.deepEqual(JSON.parse(updated.stdout.trim()).summary, { failed: 0, updated: 1, inserted: 0, total: 1 });
    const [user] = await (await admin()).users.listUsersByEmail({ email: 'good2@rows.test' });
    assert.equal(user.name, 'Renamed');
    assert.equal((await signIn('good2@rows.test', 'New-password-2')).status, 200);
  });

  test('export --with-hashes, delete, import: the same users sign in with the same passwords', async () => {
    const exported = await cli(
      'users',
      'export',
      '--connection',
      DB,
      '--with-hashes',
      '-o',
      join(mkdtempSync(join(tmpdir(), 'gh-')), 'x'),
    );
    assert.equal(exported.code, 0, exported.stderr);
    const file = writeFile('all.ndjson', (await cli('users', 'export', '--connection', DB, '--with-hashes')).stdout);
    const before = readFileSync(file, 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    const client = await admin();
    for (const user of before) await client.users.delete(user.user_id);
    const out = await cli('users', 'import', file, '--connection', DB);
    assert.equal(out.code, 0, out.stdout + out.stderr);
    assert.deepEqual(JSON.parse(out.stdout.trim()).summary, {
      failed: 0,
      updated: 0,
      inserted: before.length,
      total: before.length,
    });
    const again = (await cli('users', 'export', '--connection', DB, '--with-hashes')).stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    const strip = ({ created_at, updated_at, last_login, logins_count, last_ip, ...rest }: Record<string, unknown>) =>
      rest;
    assert.deepEqual(again.map(strip), before.map(strip));
    assert.equal((await signIn('pbkdf2@legacy.test', pw('pbkdf2'))).status, 200);
    assert.equal((await signIn('exported1@auth0.test', 'Exported-password-1')).status, 200);
  });

  test('CSV export with chosen fields, and the errors a user can fix', async () => {
    const csv = await cli(
      'users',
      'export',
      '--connection',
      DB,
      '--format',
      'csv',
      '--fields',
      'user_id,email,given_name',
    );
    assert.equal(csv.code, 0, csv.stderr);
    const [header, ...rows] = csv.stdout.trim().split('\r\n');
    assert.equal(header, 'user_id,email,given_name');
    assert.ok(rows.includes('auth0|legacy-sha1,sha1@legacy.test,sha1'), csv.stdout);
    const unknown = await cli('users', 'import', writeFile('u.json', '[]'), '--connection', 'Nope');
    assert.equal(unknown.code, 1);
    assert.equal(unknown.stderr, 'gatehouse: --connection: connection "Nope" does not exist\n');
    const missing = await cli('users', 'import', '/nonexistent/users.json', '--connection', DB);
    assert.equal(missing.stderr, 'gatehouse: Cannot read /nonexistent/users.json\n');
  });
});
