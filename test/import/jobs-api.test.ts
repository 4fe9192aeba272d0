// Auth0's bulk user jobs over HTTP with the auth0 SDK's ManagementClient, unchanged, on both databases:
// jobs.usersImports.create (a multipart upload), jobs.get until the job completes, jobs.errors.get for its failed
// rows; the imported user signs in with the original password; a 600 KB file is refused as Auth0 refuses it (500 KB
// at most); jobs.usersExports.create, then the file from the job's location (gzip, no password hashes, no token
// needed, a wrong secret refused); and the scopes and validation errors of each route.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, test } from 'node:test';
import { gunzipSync } from 'node:zlib';
import bcrypt from 'bcryptjs';
import { type AdminApi, startWithAdmin } from '../helpers/admin-api.js';
import { waitFor } from '../helpers/cli.js';
import { forEachDatabase } from '../helpers/each-database.js';
import { DB, tenant } from '../helpers/fixtures.js';
import { postToken } from '../helpers/http-client.js';

const SECRET = 'backend-secret-0123456789-abcdefghijklmnopqrstu';
const backend = {
  client_id: 'backend',
  client_secret: SECRET,
  name: 'Backend',
  app_type: 'regular_web',
  token_endpoint_auth_method: 'client_secret_post',
  grant_types: ['password'],
  callbacks: [],
};

forEachDatabase('the jobs API with the auth0 SDK', (db) => {
  let it: AdminApi;
  let connectionId: string;

  before(async () => {
    it = await startWithAdmin(db(), tenant({ clients: [backend], users: [] }), { limited: ['read:clients'] });
    const connections = await it.admin.connections.list();
    connectionId = connections.data.find((connection) => connection.name === DB)!.id!;
  });
  after(() => it?.server.close());

  const signIn = (email: string, password: string) =>
    postToken(it.server, {
      grant_type: 'password',
      username: email,
      password,
      client_id: 'backend',
      client_secret: SECRET,
    });
  const finished = (id: string) =>
    waitFor(`job ${id}`, async () => {
      const job = await it.admin.jobs.get(id);
      return job.status === 'completed' || job.status === 'failed' ? job : undefined;
    });

  test('users-imports: the job, its summary and its errors; the user signs in with the original password', async () => {
    const users = [
      {
        email: 'api1@legacy.test',
        user_id: 'api-one',
        email_verified: true,
        password_hash: bcrypt.hashSync('Api-password-1', 4),
      },
      {
        email: 'api2@legacy.test',
        custom_password_hash: {
          algorithm: 'sha256',
          hash: { value: createHash('sha256').update('Api-password-2').digest('base64'), encoding: 'base64' },
        },
      },
      { email: 'not-an-email' },
    ];
    const created = await it.admin.jobs.usersImports.create({
      users: Buffer.from(JSON.stringify(users)),
      connection_id: connectionId,
      upsert: false,
      external_id: 'migration-1',
    });
    assert.equal(created.type, 'users_import');
    assert.equal(created.status, 'pending');
    assert.equal(created.connection_id, connectionId);
    assert.equal(created.external_id, 'migration-1');
    assert.match(created.id, /^job_/);
    const job = await finished(created.id);
    assert.equal(job.status, 'completed');
    assert.deepEqual(job.summary, { failed: 1, updated: 0, inserted: 2, total: 3 });
    const errors = await it.admin.jobs.errors.get(created.id);
    assert.ok(Array.isArray(errors));
    assert.deepEqual(errors, [
      {
        user: { email: 'not-an-email' },
        errors: [{ code: 'INVALID_FORMAT', message: 'email must match pattern "^[^\\s@]+@[^\\s@]+$"', path: 'email' }],
      },
    ]);
    assert.equal((await signIn('api1@legacy.test', 'Api-password-1')).status, 200);
    assert.equal((await signIn('api2@legacy.test', 'Api-password-2')).status, 200);
    const user = await it.admin.users.get('auth0|api-one');
    assert.equal(user.email, 'api1@legacy.test');

    // upsert: false again → a failed row; upsert: true → updated.
    const again = [{ email: 'api1@legacy.test', name: 'Updated' }];
    const refused = await finished(
      (
        await it.admin.jobs.usersImports.create({
          users: Buffer.from(JSON.stringify(again)),
          connection_id: connectionId,
        })
      ).id,
    );
    assert.deepEqual(refused.summary, { failed: 1, updated: 0, inserted: 0, total: 1 });
    const upserted = await finished(
      (
        await it.admin.jobs.usersImports.create({
          users: Buffer.from(JSON.stringify(again)),
          connection_id: connectionId,
          upsert: true,
        })
      ).id,
    );
    assert.deepEqual(upserted.summary, { failed: 0, updated: 1, inserted: 0, total: 1 });
    assert.equal((await it.admin.users.get('auth0|api-one')).name, 'Updated');
    assert.equal(await it.admin.jobs.errors.get(upserted.id), undefined, 'no errors: 204');
  });

  test('a 600 KB file is refused as Auth0 refuses it; bad fields and unknown connections are 400', async () => {
    const big = Buffer.alloc(600 * 1024, ' ');
    await assert.rejects(
      it.admin.jobs.usersImports.create({ users: big, connection_id: connectionId }),
      (error: { statusCode: number; body: unknown }) => {
        assert.equal(error.statusCode, 413);
        assert.deepEqual(error.body, {
          statusCode: 413,
          error: 'Payload Too Large',
          message: 'Payload content length greater than maximum allowed: 512000',
        });
        return true;
      },
    );
    await assert.rejects(
      it.admin.jobs.usersImports.create({ users: Buffer.from('[]'), connection_id: 'con_nope' }),
      (error: { statusCode: number; body: unknown }) => {
        assert.deepEqual(error.body, {
          statusCode: 400,
          error: 'Bad Request',
          message: 'The connection does not exist.',
          errorCode: 'inexistent_connection',
        });
        return true;
      },
    );
    const form = new FormData();
    form.append('connection_id', connectionId);
    const noFile = await fetch(it.server.url('/api/v2/jobs/users-imports'), {
      method: 'POST',
      headers: { authorization: `Bearer ${it.adminToken}` },
      body: form,
    });
    assert.equal(noFile.status, 400);
    assert.equal(
      ((await noFile.json()) as { message: string }).message,
      "Payload validation error: 'Missing required property: users'.",
    );
    await assert.rejects(it.admin.jobs.get('job_nope'), (error: { statusCode: number }) => error.statusCode === 404);
  });

  test('users-exports: the file at the location, gzip NDJSON without hashes; CSV with chosen fields', async () => {
    const created = await it.admin.jobs.usersExports.create({ connection_id: connectionId, format: 'json' });
    assert.equal(created.type, 'users_export');
    const job = await finished(created.id);
    assert.equal(job.status, 'completed');
    const location = job.location!;
    const file = await fetch(location);
    assert.equal(file.status, 200);
    const lines = gunzipSync(Buffer.from(await file.arrayBuffer()))
      .toString('utf8')
      .trim()
      .split('\n');
    const users = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    assert.deepEqual(users.map((user) => user.email).sort(), ['api1@legacy.test', 'api2@legacy.test']);
    for (const user of users) {
      assert.equal(user.password_hash, undefined, 'never a hash through the API');
      assert.equal(user.custom_password_hash, undefined);
    }
    const wrong = await fetch(location.replace(/secret=[^&]+/, 'secret=guess'));
    assert.equal(wrong.status, 404);

    const csvJob = await finished(
      (
        await it.admin.jobs.usersExports.create({
          format: 'csv',
          fields: [{ name: 'user_id' }, { name: 'email', export_as: 'Email' }],
        })
      ).id,
    );
    const csv = gunzipSync(Buffer.from(await (await fetch(csvJob.location!)).arrayBuffer())).toString('utf8');
    assert.equal(csv.split('\r\n')[0], 'user_id,Email');
    assert.ok(csv.includes('auth0|api-one,api1@legacy.test'), csv);
  });

  test('each route needs its scope; an unknown field is refused', async () => {
    for (const [method, path] of [
      ['GET', '/jobs/job_x'],
      ['GET', '/jobs/job_x/errors'],
      ['POST', '/jobs/users-exports'],
      ['POST', '/jobs/users-imports'],
    ]) {
      const answer = await it.api(path, it.limitedToken, { method, body: method === 'POST' ? {} : undefined });
      assert.equal(answer.status, 403, `${method} ${path}`);
    }
    const extra = await it.call('/jobs/users-exports', it.adminToken, {
      method: 'POST',
      body: { format: 'json', x: 1 },
    });
    assert.equal(extra.status, 400);
    assert.equal(extra.body.message, "Payload validation error: 'Additional properties not allowed: x'.");
  });
});
