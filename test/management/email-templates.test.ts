// /api/v2/email-templates through the auth0 SDK's ManagementClient, on SQLite and PostgreSQL: a template never
// stored reads as its default; PUT replaces it, PATCH changes fields, POST creates one (409 the second time);
// the next e-mail of that kind (sent by a second instance on the same database to a real SMTP server) uses it;
// a body or subject Liquid cannot parse is refused with 400 and the reason; scopes (403) and bodies (400).
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { loadConfig } from '../../src/config.js';
import { createMessages } from '../../src/delivery/create.js';
import { type AdminApi, managementError, refusesWithoutScope, startWithAdmin } from '../helpers/admin-api.js';
import { forEachDatabase } from '../helpers/each-database.js';
import { captureLogs } from '../helpers/log-capture.js';
import { TEST_SECRET } from '../helpers/server.js';
import { linksIn, startSmtp } from '../helpers/smtp.js';
import { openStore } from '../store/open-store.js';

forEachDatabase('the Management API: email templates', (db) => {
  let it: AdminApi;

  before(async () => {
    it = await startWithAdmin(db(), {}, { limited: ['read:email_templates'] });
  });
  after(() => it.server.close());

  test('a template never stored reads as the default', async () => {
    const template = await it.admin.emailTemplates.get('verify_email');
    assert.equal(template.template, 'verify_email');
    assert.equal(template.subject, 'Verify your email');
    assert.equal(template.syntax, 'liquid');
    assert.equal(template.enabled, true);
    assert.equal(template.includeEmailInRedirect, true);
    assert.equal(template.from, 'no-reply@127.0.0.1');
    assert.match(template.body ?? '', /\{\{ url \}\}/);
    // Auth0's other template names: none stored, none sent.
    await assert.rejects(
      it.admin.emailTemplates.get('mfa_oob_code'),
      managementError(404, {
        statusCode: 404,
        error: 'Not Found',
        message: 'The template does not exist.',
        errorCode: 'inexistent_email_template',
      }),
    );
  });

  test('PUT replaces a template and the next e-mail of its kind uses it, variables escaped', async () => {
    const body = '<p>Hi {{ user.name }}, confirm <a href="{{ url }}">here</a> for {{ application.name }}.</p>';
    const put = await it.admin.emailTemplates.set('verify_email', {
      template: 'verify_email',
      body,
      from: 'accounts@reports.example',
      subject: 'Confirm your {{ application.name }} account',
      syntax: 'liquid',
      resultUrl: 'https://reports.example/verified',
      urlLifetimeInSeconds: 3600,
      enabled: true,
    });
    assert.equal(put.body, body);
    const read = await it.admin.emailTemplates.get('verify_email');
    assert.deepEqual(
      { ...read },
      {
        template: 'verify_email',
        body,
        from: 'accounts@reports.example',
        subject: 'Confirm your {{ application.name }} account',
        syntax: 'liquid',
        resultUrl: 'https://reports.example/verified',
        urlLifetimeInSeconds: 3600,
        includeEmailInRedirect: true,
        enabled: true,
      },
    );

    // A second instance on the same database sends the next verification e-mail to a real mail server.
    const smtp = await startSmtp();
    const opened = await openStore(db().url);
    const config = loadConfig({
      GATEHOUSE_DATABASE_URL: db().url,
      GATEHOUSE_SECRET: TEST_SECRET,
      GATEHOUSE_SMTP_URL: smtp.url,
    });
    const messages = createMessages({ config, store: opened.store, logger: captureLogs().logger, now: Date.now });
    try {
      await messages.email({
        kind: 'verify_email',
        to: 'ada@example.com',
        variables: {
          url: 'https://auth.example/verify?ticket=abc',
          user: { email: 'ada@example.com', name: '<img src=x onerror=alert(1)>' },
          application: { name: 'Reports' },
        },
      });
      const mail = await smtp.nextMessage('ada@example.com');
      assert.equal(mail.subject, 'Confirm your Reports account');
      assert.equal(mail.from, 'accounts@reports.example');
      assert.match(mail.html, /Hi &lt;img src=x onerror=alert\(1\)&gt;, confirm/);
      assert.deepEqual(linksIn(mail.text), ['https://auth.example/verify?ticket=abc']);
      assert.match(mail.text, /confirm here \(https:\/\/auth\.example\/verify\?ticket=abc\) for Reports\./);
    } finally {
      await messages.close();
      await opened.store.close();
      await smtp.stop();
    }
  });

  test('PATCH changes only the given fields; POST creates a template once', async () => {
    const patched = await it.admin.emailTemplates.update('welcome_email', {
      subject: 'Hello from {{ application.name }}',
    });
    assert.equal(patched.subject, 'Hello from {{ application.name }}');
    assert.match(patched.body ?? '', /Welcome to \{\{ application\.name \}\}/, 'the default body is kept');
    const disabled = await it.admin.emailTemplates.update('welcome_email', { enabled: false });
    assert.equal(disabled.subject, 'Hello from {{ application.name }}');
    assert.equal(disabled.enabled, false);

    const created = await it.admin.emailTemplates.create({
      template: 'reset_email',
      body: '<p>Reset: {{ url }}</p>',
      subject: 'Reset',
      syntax: 'liquid',
      enabled: true,
    });
    assert.equal(created.template, 'reset_email');
    assert.equal(created.body, '<p>Reset: {{ url }}</p>');
    await assert.rejects(
      it.admin.emailTemplates.create({ template: 'reset_email', body: '<p>again</p>' }),
      managementError(409, {
        statusCode: 409,
        error: 'Conflict',
        message: 'Template reset_email already exists.',
        errorCode: 'email_template_conflict',
      }),
    );
    assert.equal((await it.admin.emailTemplates.get('reset_email')).body, '<p>Reset: {{ url }}</p>');
  });

  test('a body or subject Liquid cannot parse is refused with 400 and the reason', async () => {
    const broken = '<p>{% if user.name %}unclosed</p>';
    for (const [method, path, body] of [
      ['PUT', '/email-templates/blocked_account', { template: 'blocked_account', body: broken }],
      ['PATCH', '/email-templates/blocked_account', { body: broken }],
      ['POST', '/email-templates', { template: 'blocked_account', body: broken }],
      ['PATCH', '/email-templates/blocked_account', { subject: 'Hi {{ user.name ' }],
    ] as const) {
      const answer = await it.call(path, it.adminToken, { method, body });
      assert.equal(answer.status, 400, `${method} ${JSON.stringify(body)}`);
      assert.equal(answer.body.errorCode, 'invalid_body');
      assert.match(
        String(answer.body.message),
        /^Payload validation error: (body|subject) is not a valid Liquid template: ./,
      );
    }
    const unchanged = await it.admin.emailTemplates.get('blocked_account');
    assert.equal(unchanged.subject, 'Unusual sign-in activity detected');
  });

  test('scopes: 403 without create:/update:email_templates', async () => {
    assert.equal((await it.call('/email-templates/verify_email', it.limitedToken)).status, 200);
    await refusesWithoutScope(it, it.limitedToken, [
      ['PUT', '/email-templates/verify_email', 'update:email_templates', { template: 'verify_email', body: 'x' }],
      ['PATCH', '/email-templates/verify_email', 'update:email_templates', { subject: 'x' }],
      ['POST', '/email-templates', 'create:email_templates', { template: 'verify_email', body: 'x' }],
    ]);
  });

  test('bodies: unknown fields, another syntax, a template name that disagrees with the path: 400', async () => {
    const extra = await it.call('/email-templates/verify_email', it.adminToken, {
      method: 'PATCH',
      body: { subject: 'x', colour: 'red' },
    });
    assert.equal(extra.status, 400);
    assert.equal(extra.body.message, "Payload validation error: 'Additional properties not allowed: colour'.");
    const syntax = await it.call('/email-templates/verify_email', it.adminToken, {
      method: 'PATCH',
      body: { syntax: 'handlebars' },
    });
    assert.equal(syntax.status, 400);
    const other = await it.call('/email-templates/verify_email', it.adminToken, {
      method: 'PUT',
      body: { template: 'reset_email', body: 'x' },
    });
    assert.equal(other.status, 400);
    assert.match(String(other.body.message), /template must be verify_email/);
    assert.equal((await it.call('/email-templates/no_such_template', it.adminToken)).status, 400);
  });
});
