// Every /api/v2 route declares its answers' schemas, and they are checked, not enforced: an answer that differs
// from its schema is logged at warn (route, status, ajv's findings; never the answer) and sent exactly as the
// route made it. Fastify's own serializer would drop what a schema does not list, so a user's metadata, a
// client's stored-only Auth0 fields and `fields=` projections come back whole. (Every suite that starts its
// server with startWithAdmin also fails when one of its answers was logged as a mismatch.)
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Ajv } from 'ajv';
import Fastify from 'fastify';
import { checkedSerializer, RESPONSE_MISMATCH } from '../../src/http/management/response-check.js';
import { type AdminApi, startWithAdmin } from '../helpers/admin-api.js';
import { forEachDatabase } from '../helpers/each-database.js';
import { DB, PASSWORD, tenant, webClient } from '../helpers/fixtures.js';
import { captureLogs } from '../helpers/log-capture.js';

test('an answer that breaks its schema is logged at warn and sent unchanged; an open object is not cut', async () => {
  const logs = captureLogs('warn');
  const app = Fastify({ loggerInstance: logs.logger });
  app.setSerializerCompiler(checkedSerializer(new Ajv({ allErrors: true, strict: false }), app.log));
  const thing = {
    type: 'object',
    additionalProperties: false,
    required: ['name'],
    properties: { name: { type: 'string' }, app_metadata: { type: 'object' } },
  };
  const answers: Record<string, unknown> = {
    broken: { name: 42, client_secret: 'never-logged-0123456789' },
    open: { name: 'Reports', app_metadata: { plan: 'gold', limits: { seats: [5, 10] }, trial: null } },
  };
  app.get<{ Params: { which: string } }>(
    '/things/:which',
    { schema: { response: { 200: thing } } },
    async (request) => answers[request.params.which],
  );
  await app.listen({ port: 0, host: '127.0.0.1' });
  after(() => app.close());
  const base = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;

  const broken = await fetch(`${base}/things/broken`);
  assert.equal(broken.status, 200);
  assert.equal(await broken.text(), JSON.stringify(answers.broken), 'sent as made: not coerced, nothing dropped');
  const mismatches = logs.lines.filter((line) => line.msg === RESPONSE_MISMATCH);
  assert.equal(mismatches.length, 1);
  assert.equal(mismatches[0].level, 40, 'warn');
  assert.equal(mismatches[0].route, 'GET /things/:which');
  assert.equal(mismatches[0].status, '200');
  const errors = mismatches[0].errors as { instancePath: string; keyword: string }[];
  assert.deepEqual(
    errors.map(({ instancePath, keyword }) => `${instancePath} ${keyword}`),
    [' additionalProperties', '/name type'],
  );
  assert.ok(!JSON.stringify(logs.lines).includes('never-logged'), 'the answer itself is never logged');

  const open = await fetch(`${base}/things/open`);
  assert.deepEqual(await open.json(), answers.open, 'an open object comes back whole');
  assert.equal(logs.lines.filter((line) => line.msg === RESPONSE_MISMATCH).length, 1, 'and matches its schema');
});

forEachDatabase('the Management API: answers are never cut to their schemas', (db) => {
  let it: AdminApi;
  before(async () => {
    it = await startWithAdmin(db(), tenant({ clients: [webClient()], users: [] }));
  });
  after(() => it.server.close());

  test('GET /users/{id} answers the whole app_metadata and user_metadata, and `fields=` projects', async () => {
    const app_metadata = { plan: 'gold', roles: ['editor', 'owner'], limits: { seats: 12, regions: { eu: true } } };
    const user_metadata = { theme: 'dark', addresses: [{ city: 'Lyon', zip: '69001' }] };
    const created = await it.call('/users', it.adminToken, {
      method: 'POST',
      body: { connection: DB, email: 'meta@example.com', password: PASSWORD, app_metadata, user_metadata },
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const id = encodeURIComponent(created.body.user_id as string);

    const read = await it.call(`/users/${id}`, it.adminToken);
    assert.equal(read.status, 200);
    assert.deepEqual(read.body.app_metadata, app_metadata);
    assert.deepEqual(read.body.user_metadata, user_metadata);
    assert.equal(read.body.email, 'meta@example.com');

    const projected = await it.call(`/users/${id}?fields=user_id,app_metadata`, it.adminToken);
    assert.deepEqual(projected.body, { user_id: created.body.user_id, app_metadata });
  });

  test('GET /clients/{id} answers the Auth0 fields stored without effect', async () => {
    const storedOnly = {
      oidc_conformant: true,
      client_metadata: { team: 'billing' },
      addons: { samlp: { audience: 'urn:billing' } },
      mobile: { android: { app_package_name: 'com.example.billing' } },
    };
    const created = await it.call('/clients', it.adminToken, {
      method: 'POST',
      body: { name: 'Billing', app_type: 'non_interactive', ...storedOnly },
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const read = await it.call(`/clients/${created.body.client_id}`, it.adminToken);
    assert.equal(read.status, 200);
    for (const [name, value] of Object.entries(storedOnly)) assert.deepEqual(read.body[name], value, name);
  });
});
