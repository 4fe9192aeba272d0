// /api/v2/branding and its Universal Login template through the auth0 SDK's ManagementClient: the settings patched
// (colours and logo on the next login page at once, favicon and font stored), the template set (on the next login
// page at once), read back as {body}, replaced as text/html, deleted (404 after); and the errors: a template without
// the auth0 tags or that Liquid cannot parse 400 with the reason, unknown fields 400, a token without the scope 403.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { type AdminApi, managementError, refusesWithoutScope, startWithAdmin } from '../helpers/admin-api.js';
import { forEachDatabase } from '../helpers/each-database.js';
import { CALLBACK, tenant, webClient } from '../helpers/fixtures.js';
import { CookieJarClient, openLogin } from '../helpers/http-client.js';

const TEMPLATE =
  '<!DOCTYPE html><html><head>{%- auth0:head -%}</head><body><p id="brand">Acme {{ application.name }}</p>' +
  '{%- auth0:widget -%}</body></html>';

forEachDatabase('the Management API: branding', (db) => {
  let it: AdminApi;

  const loginPage = async () =>
    (
      await openLogin(new CookieJarClient(it.server), {
        client_id: 'web',
        response_type: 'code',
        redirect_uri: CALLBACK,
        scope: 'openid',
      })
    ).page.text;

  before(async () => {
    it = await startWithAdmin(db(), tenant({ clients: [webClient()] }), { limited: ['read:clients'] });
  });
  after(() => it.server.close());

  test('settings: patched, read back, on the next login page; null removes', async () => {
    assert.deepEqual(await it.admin.branding.get(), {});
    const settings = {
      colors: { primary: '#AA0000', page_background: '#f0f0f0' },
      logo_url: 'https://cdn.acme.test/logo.png',
      favicon_url: 'https://cdn.acme.test/favicon.ico',
      font: { url: 'https://cdn.acme.test/font.woff2' },
    };
    assert.deepEqual(await it.admin.branding.update(settings), settings);
    assert.deepEqual(await it.admin.branding.get(), settings);
    const page = await loginPage();
    assert.match(page, /--gh-primary: #aa0000;/);
    assert.match(page, /--gh-page-bg: #f0f0f0;/);
    assert.match(page, /src="https:\/\/cdn\.acme\.test\/logo\.png"/);

    // RFC 7396: only the colour named changes; null removes a setting.
    const patched = await it.admin.branding.update({ colors: { primary: '#0000aa' }, favicon_url: null, font: null });
    assert.deepEqual(patched, {
      colors: { primary: '#0000aa', page_background: '#f0f0f0' },
      logo_url: 'https://cdn.acme.test/logo.png',
    });
    assert.match(await loginPage(), /--gh-primary: #0000aa;/);
  });

  test('the template: set, on the next login page, read as {body}, replaced as text/html, deleted', async () => {
    await assert.rejects(
      it.admin.branding.templates.getUniversalLogin(),
      managementError(404, {
        statusCode: 404,
        error: 'Not Found',
        message: 'The template does not exist.',
        errorCode: 'inexistent_template',
      }),
    );
    await it.admin.branding.templates.updateUniversalLogin({ template: TEMPLATE });
    assert.match(await loginPage(), /<p id="brand">Acme Acme Web<\/p>/);
    assert.deepEqual(await it.admin.branding.templates.getUniversalLogin(), { body: TEMPLATE });

    const html = TEMPLATE.replace('Acme', 'Html');
    const put = await it.api('/branding/templates/universal-login', it.adminToken, {
      method: 'PUT',
      headers: { 'content-type': 'text/html' },
      body: html,
    });
    assert.equal(put.status, 204, 'Auth0: 204 when a template is replaced');
    assert.match(await loginPage(), /<p id="brand">Html Acme Web<\/p>/);

    await it.admin.branding.templates.deleteUniversalLogin();
    assert.doesNotMatch(await loginPage(), /id="brand"/);
    await assert.rejects(it.admin.branding.templates.getUniversalLogin(), { statusCode: 404 });
    const created = await it.api('/branding/templates/universal-login', it.adminToken, {
      method: 'PUT',
      headers: { 'content-type': 'text/html' },
      body: html,
    });
    assert.equal(created.status, 201, 'Auth0: 201 when the template is created');
    await it.admin.branding.templates.deleteUniversalLogin();
  });

  test('a template without the auth0 tags or that does not parse: 400 with the reason, nothing stored', async () => {
    const cases: [string, string][] = [
      ['<html><head>{%- auth0:head -%}</head><body></body></html>', 'The template must contain {%- auth0:widget -%}'],
      ['<html>{%- auth0:widget -%}</html>', 'The template must contain {%- auth0:head -%}'],
      ['{%- auth0:head -%}{%- auth0:widget -%}{% if %}', 'The template does not parse: '],
    ];
    for (const [template, reason] of cases) {
      await assert.rejects(
        it.admin.branding.templates.updateUniversalLogin({ template }),
        (error: { statusCode: number; body: { message: string; errorCode: string } }) => {
          assert.equal(error.statusCode, 400);
          assert.equal(error.body.errorCode, 'invalid_body');
          assert.ok(error.body.message.startsWith(`Payload validation error: ${reason}`), error.body.message);
          return true;
        },
      );
    }
    await assert.rejects(it.admin.branding.templates.getUniversalLogin(), { statusCode: 404 });
  });

  test('bodies and scopes: unknown fields and bad values 400, a token without the scope 403', async () => {
    const json = { 'content-type': 'application/json' };
    const bad: [string, string, object, RegExp][] = [
      ['PATCH', '/branding', { colour: 'red' }, /'Additional properties not allowed: colour'/],
      ['PATCH', '/branding', { colors: { primary: 'red' } }, /must match pattern/],
      ['PATCH', '/branding', { logo_url: 'http://cdn.acme.test/logo.png' }, /must match pattern/],
      ['PUT', '/branding/templates/universal-login', { body: TEMPLATE }, /'Missing required property: template'/],
    ];
    for (const [method, path, body, message] of bad) {
      const answer = await it.api(path, it.adminToken, { method, headers: json, body: JSON.stringify(body) });
      assert.equal(answer.status, 400, `${method} ${path} ${JSON.stringify(body)}`);
      assert.match(((await answer.json()) as { message: string }).message, message);
    }
    assert.deepEqual((await it.admin.branding.get()).colors?.primary, '#0000aa', 'unchanged');

    await refusesWithoutScope(it, it.limitedToken, [
      ['GET', '/branding', 'read:branding'],
      ['PATCH', '/branding', 'update:branding', { logo_url: 'https://x.test/l.png' }],
      ['GET', '/branding/templates/universal-login', 'read:branding'],
      ['PUT', '/branding/templates/universal-login', 'update:branding', { template: TEMPLATE }],
      ['DELETE', '/branding/templates/universal-login', 'delete:branding'],
    ]);
  });
});
