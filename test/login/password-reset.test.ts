// Password reset and e-mail verification over HTTP (Auth0 docs, "Password Reset Flow", "Verify Emails"):
// /dbconnections/change_password through the auth0 SDK (one answer for known and unknown addresses), the reset
// e-mail as a real SMTP server receives it and the link it carries, the reset page's checks (CSRF, confirmation,
// policy), what a reset ends (other sessions, refresh tokens, brute-force blocks), a used or expired link; the
// login page's "Forgot password?" page; sign-up → verify_email → the link → email_verified; the Management API's
// tickets and jobs; a mail server that refuses the message (the answer does not wait, the outbox retries); and
// the log-only delivery a server without GATEHOUSE_SMTP_URL falls back to.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { AuthenticationClient } from 'auth0/legacy';
import { BACKOFF_MS } from '../../src/delivery/outbox.js';
import { type AdminApi, startWithAdmin } from '../helpers/admin-api.js';
import { waitFor } from '../helpers/cli.js';
import { forEachDatabase } from '../helpers/each-database.js';
import { CALLBACK, DB, PASSWORD, users } from '../helpers/fixtures.js';
import {
  alertText,
  authorizeUrl,
  CookieJarClient,
  decodeHtml,
  openLogin,
  pageForm,
  postSignup,
  submitLogin,
} from '../helpers/http-client.js';
import { captureLogs } from '../helpers/log-capture.js';
import { startGatehouse } from '../helpers/server.js';
import { linksIn, startSmtp, type TestSmtp } from '../helpers/smtp.js';
import { refreshWith, signInAlice, tokensTenant, userTokens } from '../helpers/user-tokens.js';

const ANSWER = "We've just sent you an email to reset your password.";
const NEW_PASSWORD = 'Brand-New-Meadow-77';
const DAY_MS = 24 * 60 * 60 * 1000;
const loginParams = { client_id: 'web', redirect_uri: CALLBACK, response_type: 'code', scope: 'openid' };
const SUBJECTS = { reset_email: 'Reset your password', verify_email: 'Verify your email' } as const;

forEachDatabase('password reset and e-mail verification', (db) => {
  let it: AdminApi;
  let smtp: TestSmtp;
  let offset = 0;
  const logs = captureLogs('info');

  before(async () => {
    smtp = await startSmtp();
    it = await startWithAdmin(db(), tokensTenant(), {
      limited: ['read:users'],
      now: () => Date.now() + offset,
      logs,
      env: smtp.env,
    });
  });
  after(async () => {
    await it.server.close();
    await smtp.stop();
  });

  /**
   * The next e-mail of a kind to an address, as the mail server received it: its subject, the default sender
   * (no-reply@<issuer host>), one link in the text and the same link in the HTML part's button. Returns the link.
   */
  async function nextLink(kind: keyof typeof SUBJECTS, to: string): Promise<string> {
    const mail = await smtp.nextMessage(to);
    assert.equal(mail.subject, SUBJECTS[kind]);
    assert.equal(mail.from, 'no-reply@127.0.0.1');
    const links = linksIn(mail.text);
    assert.equal(links.length, 1, mail.text);
    assert.ok(decodeHtml(mail.html).includes(`href="${links[0]}"`), mail.html);
    return links[0]!;
  }

  const changePassword = (email: string) =>
    fetch(it.server.url('/dbconnections/change_password'), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ client_id: 'web', email, connection: DB }),
    });

  async function requestLink(email: string): Promise<string> {
    const answer = await changePassword(email);
    assert.equal(answer.status, 200);
    assert.equal(await answer.text(), ANSWER);
    return nextLink('reset_email', email);
  }

  const loginStatus = async (email: string, password: string) => {
    const browser = new CookieJarClient(it.server);
    const { form } = await openLogin(browser, loginParams);
    return submitLogin(browser, form, email, password);
  };

  test("the auth0 SDK's database.changePassword: Auth0's sentence, the same for an unknown address, and only a known one gets mail", async () => {
    const sdk = new AuthenticationClient({
      domain: new URL(it.server.issuer).host,
      clientId: 'web',
      fetch: (url, init) => fetch(String(url).replace(/^https:/, 'http:'), init),
    });
    const known = await sdk.database.changePassword({ email: users.alice.email, connection: DB });
    const unknown = await sdk.database.changePassword({ email: 'nobody@acme.test', connection: DB });
    assert.equal(known.data, ANSWER);
    assert.equal(unknown.data, ANSWER);
    assert.equal(known.status, unknown.status);
    assert.equal(known.headers.get('content-type'), unknown.headers.get('content-type'));
    const link = await nextLink('reset_email', users.alice.email);
    assert.match(link, new RegExp(`^${it.server.issuer}u/reset-password\\?ticket=[\\w-]{43}#$`));
    // A later e-mail was queued after the unknown address's request: once it is in, nothing went to that address.
    await sdk.database.changePassword({ email: users.alice.email, connection: DB });
    await nextLink('reset_email', users.alice.email);
    assert.ok(!smtp.received.some((mail) => mail.to.includes('nobody@acme.test')));
    // Missing fields are Auth0's bad.request, not a crash.
    const missing = await fetch(it.server.url('/dbconnections/change_password'), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ client_id: 'web', connection: DB }),
    });
    assert.equal(missing.status, 400);
    assert.equal(((await missing.json()) as { code: string }).code, 'bad.request');
  });

  test('the reset link: CSRF, confirmation and policy refused without spending it; then the new password, and everything the old one opened is closed', async () => {
    // Alice is signed in in one browser, holds a refresh token, and is locked out by ten wrong passwords.
    const other = new CookieJarClient(it.server);
    await signInAlice(other);
    const tokens = await userTokens(it.server, other, 'static');
    const attacker = new CookieJarClient(it.server);
    let { form: guess } = await openLogin(attacker, loginParams);
    for (let i = 0; i < 10; i++) guess = pageForm(await submitLogin(attacker, guess, users.alice.email, 'Wrong-1a'));
    assert.equal((await loginStatus(users.alice.email, PASSWORD)).status, 429);

    const link = await requestLink(users.alice.email);
    const browser = new CookieJarClient(it.server);
    const shown = await browser.get(link);
    assert.equal(shown.status, 200, shown.text);
    for (const text of [
      'Change Your Password',
      'Enter a new password below to change your password.',
      'Reset password',
    ])
      assert.ok(shown.text.includes(text), text);
    const form = pageForm(shown);

    const noCsrf = await browser.post(form.action, { password: NEW_PASSWORD, password_confirm: NEW_PASSWORD });
    assert.equal(noCsrf.status, 403);
    const mismatch = await browser.post(form.action, {
      _csrf: form.csrf,
      password: NEW_PASSWORD,
      password_confirm: 'x',
    });
    assert.equal(mismatch.status, 400);
    assert.equal(alertText(mismatch), 'Please ensure the password and the confirmation are the same.');
    const weak = await browser.post(form.action, { _csrf: form.csrf, password: 'abc', password_confirm: 'abc' });
    assert.equal(weak.status, 400);
    assert.match(alertText(weak) ?? '', /^Password is too weak\. /);

    const done = await browser.post(form.action, {
      _csrf: form.csrf,
      password: NEW_PASSWORD,
      password_confirm: NEW_PASSWORD,
    });
    assert.equal(done.status, 200, done.text);
    assert.ok(done.text.includes('Password Changed!'));

    // The link works once.
    const again = await browser.get(link);
    assert.equal(again.status, 410);
    assert.ok(decodeHtml(again.text).includes('This ticket was already used.'));
    const repost = await browser.post(form.action, {
      _csrf: form.csrf,
      password: 'Other-Meadow-88',
      password_confirm: 'Other-Meadow-88',
    });
    assert.equal(repost.status, 410);

    // Old password refused, new one in (the block is lifted); the other browser's session and the refresh token are gone.
    const old = await loginStatus(users.alice.email, PASSWORD);
    assert.equal(old.status, 400);
    assert.equal(alertText(old), 'Wrong email or password');
    assert.equal((await loginStatus(users.alice.email, NEW_PASSWORD)).status, 303);
    const silent = await other.get(authorizeUrl(it.server, { ...loginParams, prompt: 'none' }));
    assert.equal(new URL(silent.location!).searchParams.get('error'), 'login_required');
    const refreshed = await refreshWith(it.server, 'static', tokens.refresh_token);
    // Auth0 answers a revoked refresh token with 403 invalid_grant.
    assert.equal(refreshed.status, 403);
    assert.equal(refreshed.body.error, 'invalid_grant');
  });

  test('an expired link says so and changes nothing', async () => {
    const link = await requestLink(users.alice.email);
    offset += 5 * DAY_MS + 1000;
    try {
      const expired = await new CookieJarClient(it.server).get(link);
      assert.equal(expired.status, 410);
      assert.ok(decodeHtml(expired.text).includes('This link has expired.'));
    } finally {
      offset = 0;
    }
    const unknown = await new CookieJarClient(it.server).get('/u/reset-password?ticket=nope');
    assert.equal(unknown.status, 400);
  });

  test('Forgot password? on the login page: Email address → Continue → Check Your Email, the same for an unknown address', async () => {
    for (const email of [users.alice.email, 'ghost@acme.test']) {
      const browser = new CookieJarClient(it.server);
      const { page } = await openLogin(browser, loginParams);
      const href = /<a href="([^"]*)">Forgot password\?<\/a>/.exec(page.text)?.[1];
      assert.ok(href, 'no Forgot password? link');
      const request = await browser.get(decodeHtml(href));
      assert.equal(request.status, 200);
      assert.ok(request.text.includes('Email address') && request.text.includes('Continue'));
      const form = pageForm(request);
      assert.equal((await browser.post(form.action, { email })).status, 403, 'CSRF missing');
      const sent = await browser.post(form.action, { _csrf: form.csrf, email });
      assert.equal(sent.status, 200);
      assert.ok(sent.text.includes('Check Your Email'));
      assert.ok(
        decodeHtml(sent.text.replace(/<\/?strong>/g, '')).includes(
          `Please check the email address ${email} for instructions to reset your password.`,
        ),
      );
      assert.match(sent.text, /href="\/u\/login\?state=/);
      if (email === users.alice.email) await nextLink('reset_email', email);
    }
    // An e-mail queued after ghost's request has arrived: none went to ghost.
    await requestLink(users.alice.email);
    assert.ok(!smtp.received.some((mail) => mail.to.includes('ghost@acme.test')));
  });

  test('sign-up sends verify_email; its link sets email_verified once; the Management API makes tickets and sends the e-mail again', async () => {
    const email = 'newcomer@acme.test';
    const signup = await postSignup(it.server, { client_id: 'web', email, password: PASSWORD, connection: DB });
    assert.equal(signup.status, 200, JSON.stringify(signup.body));
    const userId = `auth0|${signup.body._id as string}`;
    const link = await nextLink('verify_email', email);
    assert.match(link, new RegExp(`^${it.server.issuer}u/email-verification\\?ticket=`));
    assert.equal((await it.admin.users.get(userId)).email_verified, false);
    const verified = await new CookieJarClient(it.server).get(link);
    assert.equal(verified.status, 200, verified.text);
    assert.ok(verified.text.includes('Email Verified'));
    assert.equal((await it.admin.users.get(userId)).email_verified, true);
    assert.equal((await new CookieJarClient(it.server).get(link)).status, 410);

    // tickets/email-verification: a link with result_url; jobs/verification-email: the e-mail again.
    const { ticket } = await it.admin.tickets.verifyEmail({
      user_id: userId,
      result_url: 'https://app.acme.test/verified',
      ttl_sec: 60,
    });
    const page = await new CookieJarClient(it.server).get(ticket!);
    assert.ok(page.text.includes('href="https://app.acme.test/verified"'));
    const job = await it.admin.jobs.verificationEmail.create({ user_id: userId, client_id: 'web' });
    assert.equal(job.type, 'verification_email');
    assert.match(job.id, /^job_/);
    const resent = await nextLink('verify_email', email);
    assert.notEqual(resent, link, 'a fresh ticket');
    assert.equal((await new CookieJarClient(it.server).get(resent)).status, 200);

    // tickets/password-change by email + connection_id: a reset link that returns to result_url with the address.
    const connectionId = (await it.server.gatehouse.store.connections.getByName(DB))!.id;
    const change = await it.admin.tickets.changePassword({
      email,
      connection_id: connectionId,
      result_url: 'https://app.acme.test/login',
      includeEmailInRedirect: true,
    });
    const browser = new CookieJarClient(it.server);
    const form = pageForm(await browser.get(change.ticket!));
    const done = await browser.post(form.action, {
      _csrf: form.csrf,
      password: NEW_PASSWORD,
      password_confirm: NEW_PASSWORD,
    });
    assert.ok(
      decodeHtml(done.text).includes('href="https://app.acme.test/login?email=newcomer%40acme.test"'),
      done.text,
    );
  });

  test('a mail server that refuses the reset e-mail (550): 200 at once, the failure logged, delivered on a retry', async () => {
    smtp.refuseWith = 550;
    const refusedBefore = smtp.refused;
    try {
      const answer = await changePassword(users.alice.email);
      assert.equal(answer.status, 200);
      assert.equal(await answer.text(), ANSWER);
      await smtp.waitForRefusals(refusedBefore + 1);
    } finally {
      smtp.refuseWith = undefined;
    }
    const failed = () =>
      logs.lines.find(
        (line) =>
          line.msg === 'message not delivered; will retry' &&
          (line.delivery as { kind?: string }).kind === 'reset_email',
      ) as { delivery: { domain: string; attempts: number; error: string } } | undefined;
    await waitFor('the failure log line', () => failed() !== undefined, 20_000);
    assert.equal(failed()!.delivery.domain, 'acme.test');
    assert.equal(failed()!.delivery.attempts, 1);
    assert.match(failed()!.delivery.error, /550/);

    // The server accepts again; the retry comes once the backoff has passed on Gatehouse's clock.
    offset += BACKOFF_MS[0]! + 1;
    let link: string;
    try {
      link = await nextLink('reset_email', users.alice.email);
    } finally {
      offset = 0;
    }
    const ticket = new URL(link).searchParams.get('ticket')!;
    assert.ok(!JSON.stringify(logs.lines).includes(ticket), 'the link is never logged');
    const page = await new CookieJarClient(it.server).get(link);
    assert.equal(page.status, 200, page.text);
    assert.ok(page.text.includes('Change Your Password'));
  });

  test('without GATEHOUSE_SMTP_URL the reset and verification links are logged, and they work', async () => {
    // A second instance on the same database, with no mail server: what `npm start` alone gives a developer.
    const logged = captureLogs('info');
    const plain = await startGatehouse({ databaseUrl: db().url, logger: logged.logger });
    const sentTo = smtp.received.length;
    try {
      const linkFor = async (kind: string, to: string) => {
        const find = () =>
          logged.lines
            .map((line) => line.message as { channel?: string; kind?: string; to?: string; url?: string } | undefined)
            .find((m) => m?.channel === 'email' && m.kind === kind && m.to === to)?.url;
        await waitFor(`the logged ${kind} to ${to}`, () => find() !== undefined, 20_000);
        return find()!;
      };
      const answer = await fetch(plain.url('/dbconnections/change_password'), {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ client_id: 'web', email: users.bob.email, connection: DB }),
      });
      assert.equal(answer.status, 200);
      const reset = await linkFor('reset_email', users.bob.email);
      assert.match(reset, new RegExp(`^${plain.issuer}u/reset-password\\?ticket=`));
      const page = await new CookieJarClient(plain).get(reset);
      assert.equal(page.status, 200, page.text);
      assert.ok(page.text.includes('Change Your Password'));

      const signup = await postSignup(plain, {
        client_id: 'web',
        email: 'logged@acme.test',
        password: PASSWORD,
        connection: DB,
      });
      assert.equal(signup.status, 200, JSON.stringify(signup.body));
      const verified = await new CookieJarClient(plain).get(await linkFor('verify_email', 'logged@acme.test'));
      assert.equal(verified.status, 200, verified.text);
      assert.ok(verified.text.includes('Email Verified'));
    } finally {
      await plain.close();
    }
    assert.equal(smtp.received.length, sentTo, "nothing went through the other instance's mail server");
  });

  test('the Management API routes: scopes, body validation, unknown users', async () => {
    for (const [path, scope, body] of [
      ['/tickets/password-change', 'create:user_tickets', { user_id: 'auth0|x' }],
      ['/tickets/email-verification', 'create:user_tickets', { user_id: 'auth0|x' }],
      ['/jobs/verification-email', 'update:users', { user_id: 'auth0|x' }],
    ] as const) {
      const refused = await it.call(path, it.limitedToken, { method: 'POST', body });
      assert.equal(refused.status, 403, path);
      assert.equal(refused.body.message, `Insufficient scope, expected any of: ${scope}`);
      const extra = await it.call(path, it.adminToken, { method: 'POST', body: { ...body, nope: 1 } });
      assert.equal(extra.status, 400, path);
      assert.equal(extra.body.message, "Payload validation error: 'Additional properties not allowed: nope'.");
      const missing = await it.call(path, it.adminToken, { method: 'POST', body });
      assert.equal(missing.status, 404, path);
      assert.equal(missing.body.message, 'The user does not exist.');
    }
  });
});
