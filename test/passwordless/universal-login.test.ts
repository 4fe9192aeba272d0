// Passwordless on the Universal Login page (Auth0 docs: "Passwordless with Universal Login"), driven over HTTP
// with a cookie jar as a browser, on both databases: /authorize?connection=email shows Email address → Continue,
// the code from the e-mail on the code page signs in, and the browser ends at the callback with a code that
// exchanges for tokens with email_verified; the same for sms with the text message. Refusals: a wrong code
// three times (the third burns it), an expired code, forms without their CSRF token or with another address,
// the send limits shared with /passwordless/start, a connection not enabled for the client, and a link made
// from a page-started code opened in another browser. Also CORS on POST /passwordless/start for a web origin.
// E-mails are read from a real SMTP server (smtp-server, parsed with mailparser) and text messages from a real
// signed webhook; one test checks that a server with neither logs the code instead.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { decodeJwt } from 'jose';
import { forEachDatabase } from '../helpers/each-database.js';
import { CALLBACK, dbConnection, tenant, WEB_SECRET, webClient } from '../helpers/fixtures.js';
import {
  alertText,
  type Answer,
  authorizeUrl,
  CookieJarClient,
  callbackOf,
  pageForm,
  postToken,
} from '../helpers/http-client.js';
import { captureLogs } from '../helpers/log-capture.js';
import { type RunningGatehouse, startGatehouse } from '../helpers/server.js';
import { startSmsWebhook, type TestSmsWebhook } from '../helpers/sms-webhook.js';
import { codeIn, startSmtp, type TestSmtp } from '../helpers/smtp.js';

const ORIGIN = 'http://localhost:8080';
const WRONG_EMAIL = 'Wrong email or verification code.';
const WRONG_PHONE = 'Wrong phone number or verification code.';
const BURNT = "You've reached the maximum number of attempts. Please try to login again.";
const TOO_MANY = 'Too many requests. Please try again later.';

// The web client has only the authorization_code grant: the page needs nothing but the connection enabled.
const web = webClient({ token_endpoint_auth_method: 'client_secret_post', web_origins: [ORIGIN] });
const other = webClient({ client_id: 'other', name: 'Other', client_secret: `${WEB_SECRET}-other` });

forEachDatabase('passwordless on the Universal Login page', (db) => {
  let server: RunningGatehouse;
  let offsetMs = 0;
  let smtp: TestSmtp;
  let sms: TestSmsWebhook;

  /**
   * The code of the next message to an address: a code e-mail from no-reply@<issuer host> whose text holds no
   * six-digit number but the code, which its HTML part shows too; or a text message in Auth0's words.
   */
  async function nextCode(to: string): Promise<string> {
    if (to.startsWith('+')) {
      const { body } = await sms.nextMessage(to);
      assert.match(body, /^Your verification code is: \d{6}$/);
      return codeIn(body);
    }
    const mail = await smtp.nextMessage(to);
    assert.equal(mail.subject, `Welcome to ${web.name as string}`);
    assert.equal(mail.from, 'no-reply@127.0.0.1');
    const code = codeIn(mail.text);
    assert.ok(mail.html.includes(`<b>${code}</b>`), mail.html);
    return code;
  }
  /** Waits for a code sent to a fresh address after the checked requests: what they queued has been delivered. */
  async function delivered(browser = new CookieJarClient(server)) {
    await submitAddress(browser, await openAddressPage(browser), 'email', 'marker@example.test');
    await nextCode('marker@example.test');
  }
  const params = (connection: string, clientId = 'web') => ({
    client_id: clientId,
    response_type: 'code',
    redirect_uri: CALLBACK,
    scope: 'openid email profile',
    state: 'st-42',
    connection,
  });

  /** /authorize?connection=… followed to the passwordless address page. */
  async function openAddressPage(browser: CookieJarClient, connection = 'email') {
    const first = await browser.get(authorizeUrl(server, params(connection)));
    assert.equal(first.status, 302, first.text);
    assert.match(first.location!, /^\/u\/login\?state=/);
    const second = await browser.get(first.location!);
    assert.equal(second.status, 302, second.text);
    assert.match(second.location!, /^\/u\/login\/passwordless\?state=/);
    const page = await browser.get(second.location!);
    assert.equal(page.status, 200, page.text);
    return page;
  }

  /** Posts the address; returns the code page. */
  async function submitAddress(browser: CookieJarClient, page: Answer, field: 'email' | 'phone_number', value: string) {
    const form = pageForm(page);
    return browser.post(form.action, { _csrf: form.csrf, [field]: value });
  }

  /** Posts a code on the code page (its first form), with the address the page carries. */
  function submitCode(browser: CookieJarClient, codePage: Answer, code: string, extra: Record<string, string> = {}) {
    const form = pageForm(codePage);
    const hidden = (name: string) => new RegExp(`name="${name}" value="([^"]*)"`).exec(codePage.text)?.[1];
    const address: Record<string, string> = hidden('email')
      ? { email: hidden('email')! }
      : { phone_number: hidden('phone_number')! };
    return browser.post(form.action, { _csrf: form.csrf, ...address, code, ...extra });
  }

  async function exchange(callback: URL) {
    assert.equal(callback.origin + callback.pathname, CALLBACK);
    assert.equal(callback.searchParams.get('state'), 'st-42');
    const code = callback.searchParams.get('code');
    assert.ok(code, `a code in ${callback}`);
    const tokens = await postToken(server, {
      grant_type: 'authorization_code',
      client_id: 'web',
      client_secret: WEB_SECRET,
      code,
      redirect_uri: CALLBACK,
    });
    assert.equal(tokens.status, 200, JSON.stringify(tokens.body));
    return decodeJwt(tokens.body.id_token as string);
  }

  before(async () => {
    smtp = await startSmtp();
    sms = await startSmsWebhook();
    server = await startGatehouse({
      databaseUrl: db().url,
      env: { ...smtp.env, ...sms.env },
      now: () => Date.now() + offsetMs,
      tenant: tenant({
        clients: [web, other],
        users: [],
        connections: [
          dbConnection([web, other]),
          { name: 'email', strategy: 'email', enabled_clients: ['web'] },
          { name: 'sms', strategy: 'sms', enabled_clients: ['web'] },
        ],
      }),
    });
  });
  after(async () => {
    await server?.close();
    await smtp?.stop();
    await sms?.stop();
  });

  test('email: Email address, Continue, the code from the e-mail, Continue: the callback, tokens, SSO', async () => {
    const browser = new CookieJarClient(server);
    const page = await openAddressPage(browser);
    assert.match(page.text, /<label for="gh-email">Email address<\/label>/);
    assert.match(page.text, /<button class="gh-button" type="submit">Continue<\/button>/);
    const codePage = await submitAddress(browser, page, 'email', 'Ula@Example.test');
    assert.equal(codePage.status, 200, codePage.text);
    assert.match(codePage.text, /<label for="gh-code">Code<\/label>/);
    assert.match(codePage.text, /We've sent an email with your code to <strong class="gh-break">ula@example\.test/);
    assert.match(codePage.text, />Resend code<\/button>/);
    const signedIn = await submitCode(browser, codePage, await nextCode('ula@example.test'));
    assert.equal(signedIn.status, 303, signedIn.text);
    assert.match(signedIn.location!, /^\/authorize\/resume\?state=/);
    const claims = await exchange(await callbackOf(browser, signedIn));
    assert.match(String(claims.sub), /^email\|[0-9a-f]{24}$/);
    assert.equal(claims.email, 'ula@example.test');
    assert.equal(claims.email_verified, true);

    // The SSO session: the next /authorize for this connection answers at once.
    const again = await browser.get(authorizeUrl(server, { ...params('email'), prompt: 'none' }));
    assert.equal(again.status, 302, again.text);
    const silent = new URL(again.location!);
    assert.equal(silent.origin + silent.pathname, CALLBACK);
    assert.equal((await exchange(silent)).sub, claims.sub);
  });

  test('sms: Phone number, the code from the text message: a phone-verified sms| user', async () => {
    const browser = new CookieJarClient(server);
    const page = await openAddressPage(browser, 'sms');
    assert.match(page.text, /<label for="gh-phone">Phone number<\/label>/);
    const bad = await submitAddress(browser, page, 'phone_number', '555-0100');
    assert.equal(bad.status, 400);
    assert.equal(alertText(bad), 'Phone number is not valid.');
    const codePage = await submitAddress(browser, bad, 'phone_number', '+14155550123');
    assert.equal(codePage.status, 200, codePage.text);
    const code = await nextCode('+14155550123');
    const wrong = await submitCode(browser, codePage, code === '000000' ? '111111' : '000000');
    assert.equal(wrong.status, 400);
    assert.equal(alertText(wrong), WRONG_PHONE);
    const claims = await exchange(await callbackOf(browser, await submitCode(browser, wrong, code)));
    assert.match(String(claims.sub), /^sms\|[0-9a-f]{24}$/);
  });

  test('three wrong codes burn it: Auth0 texts on the code page, and the right code no longer signs in', async () => {
    const browser = new CookieJarClient(server);
    const codePage = await submitAddress(browser, await openAddressPage(browser), 'email', 'vic@example.test');
    const code = await nextCode('vic@example.test');
    const wrong = code === '000000' ? '111111' : '000000';
    const seen: [number, string | undefined][] = [];
    let current = codePage;
    for (let i = 0; i < 3; i++) {
      current = await submitCode(browser, current, wrong);
      seen.push([current.status, alertText(current)]);
    }
    assert.deepEqual(seen, [
      [400, WRONG_EMAIL],
      [400, WRONG_EMAIL],
      [429, BURNT],
    ]);
    const late = await submitCode(browser, current, code);
    assert.deepEqual([late.status, alertText(late)], [400, WRONG_EMAIL]);
    assert.equal(browser.cookie('gatehouse_session'), undefined);
  });

  test('an expired code: Wrong email or verification code.', async () => {
    const browser = new CookieJarClient(server);
    const codePage = await submitAddress(browser, await openAddressPage(browser), 'email', 'wes@example.test');
    const code = await nextCode('wes@example.test');
    offsetMs += 181_000;
    try {
      const late = await submitCode(browser, codePage, code);
      assert.deepEqual([late.status, alertText(late)], [400, WRONG_EMAIL]);
    } finally {
      offsetMs -= 181_000;
    }
  });

  test('forms without their CSRF token, or with another address, are refused and send nothing', async () => {
    const browser = new CookieJarClient(server);
    const page = await openAddressPage(browser);
    const noToken = await browser.post(pageForm(page).action, { email: 'xena@example.test' });
    assert.equal(noToken.status, 403);
    const codePage = await submitAddress(browser, page, 'email', 'xena@example.test');
    // The refused form sent nothing: the one e-mail to xena is the second form's.
    const code = await nextCode('xena@example.test');
    const codeNoToken = await browser.post(pageForm(codePage).action, { email: 'xena@example.test', code });
    assert.equal(codeNoToken.status, 403);
    // The token is for xena's address: posting it with another address is refused.
    const swapped = await submitCode(browser, codePage, code, { email: 'yan@example.test' });
    assert.equal(swapped.status, 403);
    // Another browser (no CSRF cookie) cannot post this browser's form.
    const stranger = new CookieJarClient(server);
    const form = pageForm(codePage);
    assert.equal(
      (await stranger.post(form.action, { _csrf: form.csrf, email: 'xena@example.test', code })).status,
      403,
    );
    assert.equal(browser.cookie('gatehouse_session'), undefined);
    await delivered();
    assert.equal(smtp.received.filter((mail) => mail.to.includes('xena@example.test')).length, 1);
  });

  test('the page and POST /passwordless/start share the per-address limit', async () => {
    for (const _ of Array.from({ length: 10 })) {
      const answer = await fetch(server.url('/passwordless/start'), {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          client_id: 'web',
          client_secret: WEB_SECRET,
          connection: 'email',
          email: 'zed@example.test',
          send: 'code',
        }),
      });
      assert.equal(answer.status, 200);
    }
    const browser = new CookieJarClient(server);
    const refused = await submitAddress(browser, await openAddressPage(browser), 'email', 'zed@example.test');
    assert.deepEqual([refused.status, alertText(refused)], [429, TOO_MANY]);
    for (let i = 0; i < 10; i++) await nextCode('zed@example.test');
    await delivered();
    assert.equal(smtp.received.filter((mail) => mail.to.includes('zed@example.test')).length, 10);
  });

  test('a connection not enabled for the client is still an error for the client', async () => {
    const browser = new CookieJarClient(server);
    const answer = await browser.get(authorizeUrl(server, params('email', 'other')));
    assert.equal(answer.status, 302);
    const back = new URL(answer.location!);
    assert.equal(back.searchParams.get('error'), 'invalid_request');
    assert.equal(
      back.searchParams.get('error_description'),
      'The connection "email" is not enabled for this application',
    );
  });

  test('a page-started code is bound to its browser: a link made from it fails in another browser', async () => {
    const browser = new CookieJarClient(server);
    await submitAddress(browser, await openAddressPage(browser), 'email', 'ada@example.test');
    assert.ok(browser.cookie('gatehouse_passwordless'), 'the binding cookie');
    const link = new URL(server.url('/passwordless/verify_redirect'));
    for (const [name, value] of Object.entries({
      verification_code: await nextCode('ada@example.test'),
      connection: 'email',
      client_id: 'web',
      email: 'ada@example.test',
      redirect_uri: CALLBACK,
      response_type: 'code',
      scope: 'openid',
    }))
      link.searchParams.set(name, value);
    const elsewhere = new CookieJarClient(server);
    const refused = await elsewhere.get(link);
    assert.equal(refused.status, 400);
    assert.equal(alertText(refused), WRONG_EMAIL);
    assert.equal(elsewhere.cookie('gatehouse_session'), undefined);
    // In the browser that asked for it, the same code still signs in.
    const here = await browser.get(link);
    assert.equal(here.status, 302, here.text);
    assert.equal(new URL(here.location!).origin + new URL(here.location!).pathname, CALLBACK);
  });

  test('without a mail server the code e-mail is logged, and its code signs in on the page', async () => {
    // A second instance on the same database with no mail server: what `npm start` alone gives a developer.
    const logged = captureLogs('info');
    const bare = await startGatehouse({ databaseUrl: db().url, logger: logged.logger });
    try {
      const browser = new CookieJarClient(bare);
      const first = await browser.get(authorizeUrl(bare, params('email')));
      const second = await browser.get(first.location!);
      const page = await browser.get(second.location!);
      const codePage = await submitAddress(browser, page, 'email', 'dev@example.test');
      assert.equal(codePage.status, 200, codePage.text);
      const message = logged.lines
        .map((line) => line.message as Record<string, string> | undefined)
        .find((m) => m?.to === 'dev@example.test');
      assert.equal(message?.channel, 'email');
      const signedIn = await submitCode(browser, codePage, message!.code!);
      assert.equal(signedIn.status, 303, signedIn.text);
      const callback = await callbackOf(browser, signedIn);
      assert.equal(callback.origin + callback.pathname, CALLBACK);
      assert.ok(callback.searchParams.get('code'));
    } finally {
      await bare.close();
    }
    assert.ok(!smtp.received.some((mail) => mail.to.includes('dev@example.test')));
  });

  test('CORS on POST /passwordless/start for a web origin: preflight and the actual request', async () => {
    const preflight = await fetch(server.url('/passwordless/start'), {
      method: 'OPTIONS',
      headers: {
        origin: ORIGIN,
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'content-type, auth0-client',
      },
    });
    assert.equal(preflight.status, 204);
    assert.equal(preflight.headers.get('access-control-allow-origin'), ORIGIN);
    assert.match(preflight.headers.get('access-control-allow-methods') ?? '', /POST/);
    assert.match(preflight.headers.get('access-control-allow-headers') ?? '', /Content-Type/i);
    const actual = await fetch(server.url('/passwordless/start'), {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: ORIGIN },
      body: JSON.stringify({
        client_id: 'web',
        client_secret: WEB_SECRET,
        connection: 'email',
        email: 'cors@example.test',
        send: 'code',
      }),
    });
    assert.equal(actual.status, 200);
    assert.equal(actual.headers.get('access-control-allow-origin'), ORIGIN);
    const foreign = await fetch(server.url('/passwordless/start'), {
      method: 'OPTIONS',
      headers: { origin: 'https://evil.test', 'access-control-request-method': 'POST' },
    });
    assert.equal(foreign.status, 403);
    assert.equal(foreign.headers.get('access-control-allow-origin'), null);
  });
});
