// The Management API's fixed settings (attack protection, risk assessment, the login prompt) and its answers for
// Auth0 features Gatehouse does not have: read in Auth0's shapes, a PATCH that restates the values succeeds and
// changes nothing, any other value is refused; the Management API itself accepts a PATCH that changes nothing.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { type AdminApi, refusesWithoutScope, startWithAdmin } from '../helpers/admin-api.js';
import { forEachDatabase } from '../helpers/each-database.js';
import { tenant, webClient } from '../helpers/fixtures.js';

forEachDatabase('the Management API: fixed settings and absent features', (db) => {
  let it: AdminApi;

  before(async () => {
    it = await startWithAdmin(db(), tenant({ clients: [webClient()] }), { limited: ['read:clients'] });
  });
  after(() => it.server.close());

  test('brute-force protection: read, restated, and refused when changed', async () => {
    const path = '/attack-protection/brute-force-protection';
    const current = await it.call(path, it.adminToken);
    assert.equal(current.status, 200);
    assert.deepEqual(current.body, {
      enabled: true,
      shields: ['block'],
      allowlist: [],
      mode: 'count_per_identifier_and_ip',
      max_attempts: 10,
    });
    assert.deepEqual(await it.call(path, it.adminToken, { method: 'PATCH', body: current.body }), current);
    const changed = await it.call(path, it.adminToken, { method: 'PATCH', body: { max_attempts: 5 } });
    assert.equal(changed.status, 400);
    assert.equal(changed.body.errorCode, 'invalid_body');
    assert.match(changed.body.message as string, /max_attempts is 10/);
    const unknown = await it.call(path, it.adminToken, { method: 'PATCH', body: { colour: 'red' } });
    assert.deepEqual(unknown.body, {
      statusCode: 400,
      error: 'Bad Request',
      message: "Payload validation error: 'Additional properties not allowed: colour'.",
      errorCode: 'invalid_body',
    });
  });

  test('suspicious IP throttling, risk assessment and the prompt answer their fixed values', async () => {
    const throttling = await it.call('/attack-protection/suspicious-ip-throttling', it.adminToken);
    assert.deepEqual((throttling.body.stage as Record<string, unknown>)['pre-login'], {
      max_attempts: 100,
      rate: 864000,
    });
    assert.deepEqual((await it.call('/risk-assessments/settings', it.adminToken)).body, { enabled: false });
    const prompt = await it.call('/prompts', it.adminToken, { method: 'PATCH', body: { identifier_first: false } });
    assert.deepEqual(prompt.body, {
      universal_login_experience: 'new',
      identifier_first: false,
      webauthn_platform_first_factor: false,
    });
    const firstOnly = await it.call('/prompts', it.adminToken, { method: 'PATCH', body: { identifier_first: true } });
    assert.equal(firstOnly.status, 400);
  });

  test("features Gatehouse lacks: empty lists, or Auth0's 403 for a tenant without them", async () => {
    assert.deepEqual((await it.call('/flows?include_totals=true', it.adminToken)).body, {
      start: 0,
      limit: 50,
      length: 0,
      total: 0,
      flows: [],
    });
    assert.deepEqual((await it.call('/actions/actions', it.adminToken)).body, {
      actions: [],
      total: 0,
      page: 0,
      per_page: 50,
    });
    assert.deepEqual(await (await it.api('/log-streams', it.adminToken)).json(), []);
    assert.deepEqual((await it.call('/rules', it.adminToken)).body, {
      statusCode: 403,
      error: 'Forbidden',
      message: 'You are not allowed to use this deprecated feature.',
      errorCode: 'deprecated_feature',
    });
    assert.equal((await it.call('/attack-protection/captcha', it.adminToken)).body.errorCode, 'feature_not_enabled');
    const domains = await (await it.api('/custom-domains', it.adminToken)).json();
    assert.deepEqual(domains, [
      {
        custom_domain_id: 'cd_gatehouse_issuer',
        domain: new URL(it.server.issuer).host,
        primary: true,
        status: 'ready',
        type: 'self_managed_certs',
      },
    ]);
    assert.equal((await it.call('/custom-domains/cd_other', it.adminToken, { method: 'PATCH', body: {} })).status, 404);
    // Creating one stays unknown.
    assert.equal((await it.call('/rules', it.adminToken, { method: 'POST', body: { name: 'x' } })).status, 404);
  });

  test('the Management API accepts a PATCH that restates it, and refuses a change', async () => {
    const api = (await it.call(`/resource-servers/${encodeURIComponent(it.audience)}`, it.adminToken)).body;
    const restate = { name: api.name, token_lifetime: api.token_lifetime };
    const same = await it.call(`/resource-servers/${api.id}`, it.adminToken, { method: 'PATCH', body: restate });
    assert.equal(same.status, 200, JSON.stringify(same.body));
    assert.equal(same.body.token_lifetime, api.token_lifetime);
    const longer = await it.call(`/resource-servers/${api.id}`, it.adminToken, {
      method: 'PATCH',
      body: { token_lifetime: (api.token_lifetime as number) + 1 },
    });
    assert.equal(longer.status, 403);
    assert.equal(longer.body.errorCode, 'operation_not_supported');
  });

  test('each route wants its scope', async () => {
    await refusesWithoutScope(it, it.limitedToken, [
      ['GET', '/attack-protection/brute-force-protection', 'read:attack_protection'],
      ['PATCH', '/attack-protection/brute-force-protection', 'update:attack_protection', {}],
      ['GET', '/prompts', 'read:prompts'],
      ['PATCH', '/prompts', 'update:prompts', {}],
      ['GET', '/custom-domains', 'read:custom_domains'],
      ['GET', '/flows', 'read:flows'],
      ['GET', '/actions/actions', 'read:actions'],
      ['PUT', '/guardian/policies', 'update:mfa_policies', []],
    ]);
  });
});
