// The e-mail templates' link settings (Auth0 "Customize Email Templates": Redirect To, URL Lifetime, include the
// e-mail in the redirect) shape the tickets the flows create, on SQLite and PostgreSQL: a reset link sent after
// /dbconnections/change_password ends on the reset_email template's resultUrl with ?email=, and a verification
// link sent after a sign-up lasts the verify_email template's urlLifetimeInSeconds; the welcome e-mail follows a
// verification only once a welcome_email template is stored and enabled. Mail goes to a real SMTP server.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { type AdminApi, startWithAdmin } from '../helpers/admin-api.js';
import { forEachDatabase } from '../helpers/each-database.js';
import { DB } from '../helpers/fixtures.js';
import { CookieJarClient, decodeHtml, pageForm, postSignup } from '../helpers/http-client.js';
import { linksIn, startSmtp, type TestSmtp } from '../helpers/smtp.js';
import { tokensTenant } from '../helpers/user-tokens.js';

const NEW_PASSWORD = 'Brand-New-Meadow-77';

forEachDatabase('tickets follow the e-mail templates', (db) => {
  let it: AdminApi;
  let smtp: TestSmtp;
  let offset = 0;

  before(async () => {
    smtp = await startSmtp();
    it = await startWithAdmin(db(), tokensTenant(), { now: () => Date.now() + offset, env: smtp.env });
  });
  after(async () => {
    await it.server.close();
    await smtp.stop();
  });

  test("a reset link ends on reset_email's resultUrl, with the address", async () => {
    await it.admin.emailTemplates.update('reset_email', {
      resultUrl: 'https://app.acme.test/after-reset',
      includeEmailInRedirect: true,
    });
    const answer = await fetch(it.server.url('/dbconnections/change_password'), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ client_id: 'web', email: 'alice@acme.test', connection: DB }),
    });
    assert.equal(answer.status, 200);
    const mail = await smtp.nextMessage('alice@acme.test');
    const link = linksIn(mail.text).find((l) => l.includes('/u/reset-password?ticket='));
    assert.ok(link, mail.text);
    const browser = new CookieJarClient(it.server);
    const form = pageForm(await browser.get(link));
    const done = await browser.post(form.action, {
      _csrf: form.csrf,
      password: NEW_PASSWORD,
      password_confirm: NEW_PASSWORD,
    });
    assert.equal(done.status, 200, done.text);
    assert.ok(decodeHtml(done.text).includes('href="https://app.acme.test/after-reset?email=alice%40acme.test"'));
  });

  test("a verification link lasts verify_email's urlLifetimeInSeconds", async () => {
    await it.admin.emailTemplates.update('verify_email', { urlLifetimeInSeconds: 60 });
    const email = 'brief@acme.test';
    const signup = await postSignup(it.server, { client_id: 'web', email, password: NEW_PASSWORD, connection: DB });
    assert.equal(signup.status, 200, JSON.stringify(signup.body));
    const mail = await smtp.nextMessage(email);
    const link = linksIn(mail.text).find((l) => l.includes('/u/email-verification?ticket='));
    assert.ok(link, mail.text);
    offset += 61_000;
    const late = await new CookieJarClient(it.server).get(link);
    assert.equal(late.status, 410, 'a minute later the link has expired');
  });

  async function signUpAndVerify(email: string) {
    const signup = await postSignup(it.server, { client_id: 'web', email, password: NEW_PASSWORD, connection: DB });
    assert.equal(signup.status, 200, JSON.stringify(signup.body));
    const mail = await smtp.nextMessage(email);
    const link = linksIn(mail.text).find((l) => l.includes('/u/email-verification?ticket='));
    assert.ok(link, mail.text);
    assert.equal((await new CookieJarClient(it.server).get(link)).status, 200);
  }

  test('the welcome e-mail follows a verification once the tenant has set it up', async () => {
    await signUpAndVerify('early@acme.test');
    await it.admin.emailTemplates.create({
      template: 'welcome_email',
      body: '<p>Welcome aboard, {{ user.email }}!</p>',
      subject: 'Welcome to {{ application.name }}',
      syntax: 'liquid',
      enabled: true,
    });
    await signUpAndVerify('later@acme.test');
    const welcome = await smtp.nextMessage('later@acme.test');
    assert.match(welcome.subject ?? '', /^Welcome to /);
    assert.match(welcome.text, /Welcome aboard, later@acme\.test!/);
    const early = smtp.received.filter((m) => JSON.stringify(m.to).includes('early@acme.test'));
    assert.ok(
      early.length >= 1 && early.every((m) => !/^Welcome/.test(m.subject ?? '')),
      'no welcome before it was set up',
    );
  });
});
