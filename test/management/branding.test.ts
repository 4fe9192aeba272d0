// /api/v2/branding and its Universal Login template through the auth0 SDK's ManagementClient: the settings patched
// (colours and logo on the next login page at once, favicon and font stored), the template set (on the next login
// page at once), read back as {body}, replaced as text/html, deleted (404 after); and the errors: a template without
// the auth0 tags or that Liquid cannot parse 400 with the reason, unknown fields 400, a token without the scope 403.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { ManagementClient } from 'auth0';
import { forEachDatabase } from '../helpers/each-database.js';
import { CALLBACK, tenant, webClient } from '../helpers/fixtures.js';
import { CookieJarClient, openLogin, postToken } from '../helpers/http-client.js';
import { freePort, type RunningGatehouse, startGatehouse } from '../helpers/server.js';

const ADMIN_ID = 'gatehouse-admin';
const ADMIN_SECRET = 'admin-secret-0123456789-abcdefghijklmnopqrstuv';
const SECRET = 'limited-secret-0123456789-abcdefghijklmnopqrstu';
const TEMPLATE =
  '<!DOCTYPE html><html><head>{%- auth0:head -%}</head><body><p id="brand">Acme {{ application.name }}</p>' +
  '{%- auth0:widget -%}</body></html>';

forEachDatabase('the Management API: branding', (db) => {
  let server: RunningGatehouse;
  let admin: ManagementClient;
  let adminToken: string;
  let limitedToken: string;

  const tokenFor = async (clientId: string, secret: string) => {
    const answer = await postToken(server, {
      grant_type: 'client_credentials',
      client_id: clientId,
      client_secret: secret,
      audience: `${server.issuer}api/v2/`,
    });
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    return answer.body.access_token as string;
  };
  const api = (path: string, token: string, init: RequestInit = {}) =>
    fetch(server.url(`/api/v2${path}`), { ...init, headers: { authorization: `Bearer ${token}`, ...init.headers } });
  const loginPage = async () =>
    (
      await openLogin(new CookieJarClient(server), {
        client_id: 'web',
        response_type: 'code',
        redirect_uri: CALLBACK,
        scope: 'openid',
      })
    ).page.text;

  before(async () => {
    const port = await freePort();
    server = await startGatehouse({
      databaseUrl: db().url,
      port,
      env: { GATEHOUSE_ADMIN_CLIENT_ID: ADMIN_ID, GATEHOUSE_ADMIN_CLIENT_SECRET: ADMIN_SECRET },
      tenant: tenant({
        clients: [webClient(), { client_id: 'limited', app_type: 'non_interactive', client_secret: SECRET }],
        client_grants: [
          { client_id: 'limited', audience: `http://127.0.0.1:${port}/api/v2/`, scope: ['read:clients'] },
        ],
      }),
    });
    adminToken = await tokenFor(ADMIN_ID, ADMIN_SECRET);
    limitedToken = await tokenFor('limited', SECRET);
    admin = new ManagementClient({
      domain: new URL(server.issuer).host,
      token: adminToken,
      fetch: (url, init) => fetch(String(url).replace(/^https:/, 'http:'), init),
    });
  });
  after(() => server.close());

  test('settings: patched, read back, on the next login page; null removes', async () => {
    assert.deepEqual(await admin.branding.get(), {});
    const settings = {
      colors: { primary: '#AA0000', page_background: '#f0f0f0' },
      logo_url: 'https://cdn.acme.test/logo.png',
      favicon_url: 'https://cdn.acme.test/favicon.ico',
      font: { url: 'https://cdn.acme.test/font.woff2' },
    };
    assert.deepEqual(await admin.branding.update(settings), settings);
    assert.deepEqual(await admin.branding.get(), settings);
    const page = await loginPage();
    assert.match(page, /--gh-primary: #aa0000;/);
    assert.match(page, /--gh-page-bg: #f0f0f0;/);
    assert.match(page, /src="https:\/\/cdn\.acme\.test\/logo\.png"/);

    // RFC 7396: only the colour named changes; null removes a setting.
    const patched = await admin.branding.update({ colors: { primary: '#0000aa' }, favicon_url: null, font: null });
    assert.deepEqual(patched, {
      colors: { primary: '#0000aa', page_background: '#f0f0f0' },
      logo_url: 'https://cdn.acme.test/logo.png',
    });
    assert.match(await loginPage(), /--gh-primary: #0000aa;/);
  });

  test('the template: set, on the next login page, read as {body}, replaced as text/html, deleted', async () => {
    await assert.rejects(
      admin.branding.templates.getUniversalLogin(),
      (error: { statusCode: number; body: object }) => {
        assert.equal(error.statusCode, 404);
        assert.deepEqual(error.body, {
          statusCode: 404,
          error: 'Not Found',
          message: 'The template does not exist.',
          errorCode: 'inexistent_template',
        });
        return true;
      },
    );
    await admin.branding.templates.updateUniversalLogin({ template: TEMPLATE });
    assert.match(await loginPage(), /<p id="brand">Acme Acme Web<\/p>/);
    assert.deepEqual(await admin.branding.templates.getUniversalLogin(), { body: TEMPLATE });

    const html = TEMPLATE.replace('Acme', 'Html');
    const put = await api('/branding/templates/universal-login', adminToken, {
      method: 'PUT',
      headers: { 'content-type': 'text/html' },
      body: html,
    });
    assert.equal(put.status, 204, 'Auth0: 204 when a template is replaced');
    assert.match(await loginPage(), /<p id="brand">Html Acme Web<\/p>/);

    await admin.branding.templates.deleteUniversalLogin();
    assert.doesNotMatch(await loginPage(), /id="brand"/);
    await assert.rejects(admin.branding.templates.getUniversalLogin(), { statusCode: 404 });
    const created = await api('/branding/templates/universal-login', adminToken, {
      method: 'PUT',
      headers: { 'content-type': 'text/html' },
      body: html,
    });
    assert.equal(created.status, 201, 'Auth0: 201 when the template is created');
    await admin.branding.templates.deleteUniversalLogin();
  });

  test('a template without the auth0 tags or that does not parse: 400 with the reason, nothing stored', async () => {
    const cases: [string, string][] = [
      ['<html><head>{%- auth0:head -%}</head><body></body></html>', 'The template must contain {%- auth0:widget -%}'],
      ['<html>{%- auth0:widget -%}</html>', 'The template must contain {%- auth0:head -%}'],
      ['{%- auth0:head -%}{%- auth0:widget -%}{% if %}', 'The template does not parse: '],
    ];
    for (const [template, reason] of cases) {
      await assert.rejects(
        admin.branding.templates.updateUniversalLogin({ template }),
        (error: { statusCode: number; body: { message: string; errorCode: string } }) => {
          assert.equal(error.statusCode, 400);
          assert.equal(error.body.errorCode, 'invalid_body');
          assert.ok(error.body.message.startsWith(`Payload validation error: ${reason}`), error.body.message);
          return true;
        },
      );
    }
    await assert.rejects(admin.branding.templates.getUniversalLogin(), { statusCode: 404 });
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
      const answer = await api(path, adminToken, { method, headers: json, body: JSON.stringify(body) });
      assert.equal(answer.status, 400, `${method} ${path} ${JSON.stringify(body)}`);
      assert.match(((await answer.json()) as { message: string }).message, message);
    }
    assert.deepEqual((await admin.branding.get()).colors?.primary, '#0000aa', 'unchanged');

    const routes: [string, string, string, object?][] = [
      ['GET', '/branding', 'read:branding'],
      ['PATCH', '/branding', 'update:branding', { logo_url: 'https://x.test/l.png' }],
      ['GET', '/branding/templates/universal-login', 'read:branding'],
      ['PUT', '/branding/templates/universal-login', 'update:branding', { template: TEMPLATE }],
      ['DELETE', '/branding/templates/universal-login', 'delete:branding'],
    ];
    for (const [method, path, scope, body] of routes) {
      const init = body ? { method, headers: json, body: JSON.stringify(body) } : { method };
      const answer = await api(path, limitedToken, init);
      assert.equal(answer.status, 403, `${method} ${path}`);
      assert.equal(
        ((await answer.json()) as { message: string }).message,
        `Insufficient scope, expected any of: ${scope}`,
      );
    }
  });
});
