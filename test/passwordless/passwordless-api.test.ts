// Passwordless connections through Auth0's Authentication API (Auth0 docs: "Passwordless API", "Passwordless
// with Embedded Login", "Passwordless Authentication with Magic Links"), on both databases: the auth0 SDK's
// passwordless.sendEmail / loginWithEmail and sendSMS / loginWithSMS, plain HTTP for a magic link followed to
// the callback and its code exchanged, and every refusal: a wrong code three times (the third burns it), an
// expired code (the server's clock moved on), a code reused, an older code after a newer one, a connection not
// enabled for the client, a confidential client without its secret, a malformed phone number, the per-address
// limit, and disable_signup for an unknown address. E-mails are read from a real SMTP server (smtp-server, parsed
// with mailparser) and text messages from a real signed webhook; a mail server that refuses the code e-mail
// (550) is retried by the outbox; a server with neither configured logs the codes instead.
import assert from 'node:assert/strict';
import { Agent } from 'node:http';
import { after, before, test } from 'node:test';
import { AuthenticationClient } from 'auth0/legacy';
import { decodeJwt } from 'jose';
import type { Dispatcher } from 'undici-types';
import { waitFor } from '../helpers/cli.js';
import { forEachDatabase } from '../helpers/each-database.js';
import { CALLBACK, nativeClient, tenant, WEB_SECRET, webClient } from '../helpers/fixtures.js';
import { BACKOFF_MS } from '../../src/delivery/outbox.js';
import {
  CookieJarClient,
  decodeHtml,
  type Endpoint,
  getUserinfo,
  postForm,
  postToken,
} from '../helpers/http-client.js';
import { captureLogs } from '../helpers/log-capture.js';
import { freePort, type RunningGatehouse, startGatehouse } from '../helpers/server.js';
import { startSmsWebhook, type TestSmsWebhook } from '../helpers/sms-webhook.js';
import { codeIn, linksIn, type ReceivedMail, startSmtp, type TestSmtp } from '../helpers/smtp.js';

const OTP = 'http://auth0.com/oauth/grant-type/passwordless/otp';
const WRONG_EMAIL = { error: 'invalid_grant', error_description: 'Wrong email or verification code.' };
const BURNT = {
  error: 'invalid_grant',
  error_description: "You've reached the maximum number of attempts. Please try to login again.",
};

const web = webClient({
  grant_types: ['authorization_code', OTP],
  callbacks: [CALLBACK],
  token_endpoint_auth_method: 'client_secret_post',
});
const native = nativeClient({ grant_types: [OTP] });
const other = webClient({
  client_id: 'other',
  name: 'Other',
  client_secret: `${WEB_SECRET}-other`,
  token_endpoint_auth_method: 'client_secret_post',
  grant_types: [OTP],
});

const FROM = 'login@gatehouse.test';
const APP_NAMES: Record<string, string> = { web: web.name as string, native: native.name as string };

function auth0Sdk(port: number, clientId: string, clientSecret?: string): AuthenticationClient {
  const plainTcp = new Agent();
  (plainTcp as unknown as { protocol: string }).protocol = 'https:';
  return new AuthenticationClient({
    domain: `127.0.0.1:${port}`,
    clientId,
    ...(clientSecret ? { clientSecret } : {}),
    fetch: (url, init) =>
      fetch(String(url).replace(/^https:/, 'http:'), { ...init, dispatcher: undefined } as RequestInit),
    agent: plainTcp as unknown as Dispatcher,
  });
}

forEachDatabase('passwordless connections over the Authentication API', (db) => {
  let server: RunningGatehouse;
  let port: number;
  let sdk: AuthenticationClient;
  let offsetMs = 0;
  let smtp: TestSmtp;
  let sms: TestSmsWebhook;
  let markers = 0;
  const logs = captureLogs('info');
  // The issuer is https (the SDK speaks nothing else); the server listens on plain HTTP behind it.
  const plain = () => ({
    issuer: `http://127.0.0.1:${port}/`,
    url: (path: string) => `http://127.0.0.1:${port}${path}`,
  });

  /** The next passwordless e-mail to an address: the application's subject and GATEHOUSE_SMTP_FROM. */
  async function nextMail(to: string, clientId = 'web'): Promise<ReceivedMail> {
    const mail = await smtp.nextMessage(to);
    assert.equal(mail.subject, `Welcome to ${APP_NAMES[clientId]}`);
    assert.equal(mail.from, FROM);
    return mail;
  }
  /** The code of the next code e-mail: the one six-digit number in its text, and in bold in its HTML part. */
  async function nextCode(to: string, clientId = 'web'): Promise<string> {
    const mail = await nextMail(to, clientId);
    const code = codeIn(mail.text);
    assert.ok(mail.html.includes(`<b>${code}</b>`), mail.html);
    return code;
  }
  /** The code of the next text message, which reads as Auth0's. */
  async function nextSmsCode(to: string): Promise<string> {
    const { body } = await sms.nextMessage(to);
    assert.match(body, /^Your verification code is: \d{6}$/);
    return codeIn(body);
  }
  /**
   * Sends a code to a fresh address and waits for it: every message queued before it has been handed to the
   * mail server by then, so a check that an address got nothing can follow.
   */
  async function delivered() {
    const marker = `marker-${markers++}@example.test`;
    assert.equal((await start({ email: marker, send: 'code' })).status, 200);
    await nextCode(marker);
  }
  const start = (body: Record<string, unknown>, headers: Record<string, string> = {}) =>
    fetch(plain().url('/passwordless/start'), {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify({ client_id: 'web', client_secret: WEB_SECRET, connection: 'email', ...body }),
    }).then(async (r) => ({ status: r.status, headers: r.headers, body: (await r.json()) as Record<string, unknown> }));
  const otp = (username: string, code: string, realm = 'email', client = 'web', endpoint: Endpoint = plain()) =>
    postToken(endpoint, {
      grant_type: OTP,
      client_id: client,
      ...(client === 'web' ? { client_secret: WEB_SECRET } : {}),
      realm,
      username,
      otp: code,
      scope: 'openid email',
    });

  before(async () => {
    smtp = await startSmtp();
    sms = await startSmsWebhook();
    port = await freePort();
    server = await startGatehouse({
      databaseUrl: db().url,
      port,
      env: {
        GATEHOUSE_ISSUER: `https://127.0.0.1:${port}/`,
        GATEHOUSE_SMTP_FROM: `Gatehouse <${FROM}>`,
        ...smtp.env,
        ...sms.env,
      },
      logger: logs.logger,
      now: () => Date.now() + offsetMs,
      tenant: tenant({
        clients: [web, native, other],
        users: [],
        connections: [
          { name: 'email', strategy: 'email', enabled_clients: ['web', 'native'] },
          { name: 'sms', strategy: 'sms', enabled_clients: ['web'] },
          {
            name: 'invite-only',
            strategy: 'email',
            enabled_clients: ['web'],
            options: { disable_signup: true, totp: { length: 6, time_step: 300 } },
          },
        ],
      }),
    });
    sdk = auth0Sdk(port, 'web', WEB_SECRET);
  });
  after(async () => {
    await server?.close();
    await smtp?.stop();
    await sms?.stop();
  });

  test('sendEmail with a code, then loginWithEmail: a new verified user, tokens and /userinfo', async () => {
    await sdk.passwordless.sendEmail({ email: 'Carol@Example.test', send: 'code' });
    const code = await nextCode('carol@example.test');
    assert.match(code, /^\d{6}$/);
    const { data } = await sdk.passwordless.loginWithEmail({
      email: 'carol@example.test',
      code,
      scope: 'openid email',
    });
    const claims = decodeJwt(data.id_token!);
    assert.match(String(claims.sub), /^email\|[0-9a-f]{24}$/);
    assert.equal(claims.email, 'carol@example.test');
    assert.equal(claims.email_verified, true);
    const info = await getUserinfo(plain(), `Bearer ${data.access_token}`);
    assert.equal(info.body.email_verified, true);
    assert.equal(info.body.sub, claims.sub);

    // The next sign-in finds the same user.
    await sdk.passwordless.sendEmail({ email: 'carol@example.test', send: 'code' });
    const again = await otp('carol@example.test', await nextCode('carol@example.test'));
    assert.equal(again.status, 200);
    assert.equal(decodeJwt(again.body.id_token as string).sub, claims.sub);
  });

  test('a code is single use', async () => {
    await start({ email: 'dave@example.test', send: 'code' });
    const code = await nextCode('dave@example.test');
    assert.equal((await otp('dave@example.test', code)).status, 200);
    const reused = await otp('dave@example.test', code);
    assert.equal(reused.status, 403);
    assert.deepEqual(reused.body, WRONG_EMAIL);
  });

  test('three wrong tries burn the code: the third says so, and the right code no longer works', async () => {
    const answer = await start({ email: 'erin@example.test', send: 'code' });
    assert.equal(answer.status, 200);
    assert.equal(answer.body.email, 'erin@example.test');
    assert.match(String(answer.body._id), /^[0-9a-f]+$/);
    const code = await nextCode('erin@example.test');
    const wrong = code === '000000' ? '111111' : '000000';
    assert.deepEqual((await otp('erin@example.test', wrong)).body, WRONG_EMAIL);
    assert.deepEqual((await otp('erin@example.test', wrong)).body, WRONG_EMAIL);
    assert.deepEqual((await otp('erin@example.test', wrong)).body, BURNT);
    assert.deepEqual((await otp('erin@example.test', code)).body, WRONG_EMAIL);
  });

  test('a code expires after three minutes', async () => {
    await start({ email: 'frank@example.test', send: 'code' });
    const code = await nextCode('frank@example.test');
    offsetMs += 181_000;
    try {
      assert.deepEqual((await otp('frank@example.test', code)).body, WRONG_EMAIL);
    } finally {
      offsetMs -= 181_000;
    }
  });

  test('a new code replaces the older one', async () => {
    await start({ email: 'gina@example.test', send: 'code' });
    const older = await nextCode('gina@example.test');
    await start({ email: 'gina@example.test', send: 'code' });
    const newer = await nextCode('gina@example.test');
    if (older !== newer) assert.deepEqual((await otp('gina@example.test', older)).body, WRONG_EMAIL);
    assert.equal((await otp('gina@example.test', newer)).status, 200);
  });

  test('a public client starts and exchanges with its client_id alone', async () => {
    const answer = await start({
      client_id: 'native',
      client_secret: undefined,
      email: 'hal@example.test',
      send: 'code',
    });
    assert.equal(answer.status, 200);
    const tokens = await otp('hal@example.test', await nextCode('hal@example.test', 'native'), 'email', 'native');
    assert.equal(tokens.status, 200, JSON.stringify(tokens.body));
  });

  test('sendSMS and loginWithSMS: Auth0 text message, a phone-verified sms| user', async () => {
    await sdk.passwordless.sendSMS({ phone_number: '+14155550100' });
    const { data } = await sdk.passwordless.loginWithSMS({
      phone_number: '+14155550100',
      code: await nextSmsCode('+14155550100'),
      scope: 'openid',
    });
    assert.match(String(decodeJwt(data.id_token!).sub), /^sms\|/);
    const wrong = await otp('+14155550100', '000000', 'sms');
    assert.deepEqual(wrong.body, {
      error: 'invalid_grant',
      error_description: 'Wrong phone number or verification code.',
    });
  });

  test('a magic link completes the /authorize request it was sent for, once', async () => {
    const answer = await start({
      email: 'ivy@example.test',
      authParams: { redirect_uri: CALLBACK, scope: 'openid email', state: 'st-1', response_type: 'code' },
    });
    assert.equal(answer.status, 200);
    const mail = await nextMail('ivy@example.test');
    assert.ok(!mail.text.includes('code is'), 'a link e-mail carries the link, not a code');
    const links = linksIn(mail.text);
    assert.equal(links.length, 1, mail.text);
    assert.ok(decodeHtml(mail.html).includes(`href="${links[0]}"`), mail.html);
    const link = new URL(links[0]!);
    assert.equal(link.pathname, '/passwordless/verify_redirect');
    assert.equal(link.searchParams.get('connection'), 'email');
    assert.equal(link.searchParams.get('email'), 'ivy@example.test');
    assert.match(link.searchParams.get('verification_code')!, /^\d{6}$/);

    const browser = new CookieJarClient(plain());
    const opened = await browser.get(link.href.replace(/^https:/, 'http:'));
    assert.equal(opened.status, 302, opened.text);
    const callback = new URL(opened.location!);
    assert.equal(`${callback.origin}${callback.pathname}`, CALLBACK);
    assert.equal(callback.searchParams.get('state'), 'st-1');
    const tokens = await postToken(plain(), {
      grant_type: 'authorization_code',
      code: callback.searchParams.get('code')!,
      redirect_uri: CALLBACK,
      client_id: 'web',
      client_secret: WEB_SECRET,
    });
    assert.equal(tokens.status, 200, JSON.stringify(tokens.body));
    assert.equal(decodeJwt(tokens.body.id_token as string).email_verified, true);

    const again = await new CookieJarClient(plain()).get(link.href.replace(/^https:/, 'http:'));
    assert.equal(again.status, 400);
    assert.equal(again.location, undefined);
  });

  test('refusals: connection not enabled, no secret, bad phone number, bad authParams; nothing sent', async () => {
    const notEnabled = await start({
      client_id: 'other',
      client_secret: `${WEB_SECRET}-other`,
      email: 'x@example.test',
    });
    assert.equal(notEnabled.status, 400);
    assert.equal(notEnabled.body.error, 'bad.connection');
    const noSecret = await start({ client_secret: undefined, email: 'x@example.test' });
    assert.equal(noSecret.status, 401);
    assert.deepEqual(noSecret.body, { error: 'invalid_client', error_description: 'Client authentication failed' });
    const phone = await start({ connection: 'sms', phone_number: '4155550100' });
    assert.equal(phone.status, 400);
    assert.equal(phone.body.error, 'bad.phone_number');
    const email = await start({ email: 'not-an-address' });
    assert.equal(email.body.error, 'bad.email');
    const params = await start({ email: 'x@example.test', authParams: 'scope=openid' });
    assert.equal(params.body.error, 'bad.authParams');
    const form = await postForm(plain(), '/passwordless/start', {
      client_id: 'web',
      connection: 'email',
      email: 'x@example.test',
    });
    assert.equal(form.status, 401);
    await delivered();
    assert.ok(!smtp.received.some((mail) => mail.to.includes('x@example.test')));
    assert.ok(!sms.received.some((message) => message.to === '4155550100'));
  });

  test('disable_signup: an unknown address gets no code', async () => {
    const answer = await start({ connection: 'invite-only', email: 'stranger@example.test', send: 'code' });
    assert.equal(answer.status, 400);
    await delivered();
    assert.ok(!smtp.received.some((mail) => mail.to.includes('stranger@example.test')));
  });

  test('ten starts per address per hour, then 429', async () => {
    for (let i = 0; i < 10; i++) assert.equal((await start({ email: 'busy@example.test', send: 'code' })).status, 200);
    const refused = await start({ email: 'busy@example.test', send: 'code' });
    assert.equal(refused.status, 429);
    assert.equal(refused.body.error, 'too_many_requests');
    for (let i = 0; i < 10; i++) await nextCode('busy@example.test');
    await delivered();
    assert.equal(smtp.received.filter((mail) => mail.to.includes('busy@example.test')).length, 10);
  });

  test('a mail server that refuses the code e-mail (550): /passwordless/start answers 200, the failure is logged, a retry delivers', async () => {
    smtp.refuseWith = 550;
    const refusedBefore = smtp.refused;
    try {
      const answer = await start({ email: 'retry@example.test', send: 'code' });
      assert.equal(answer.status, 200);
      assert.equal(answer.body.email, 'retry@example.test');
      await smtp.waitForRefusals(refusedBefore + 1);
    } finally {
      smtp.refuseWith = undefined;
    }
    const failed = () =>
      logs.lines.find(
        (line) =>
          line.msg === 'message not delivered; will retry' &&
          (line.delivery as { kind?: string }).kind === 'passwordless',
      ) as { delivery: { domain: string; attempts: number; error: string } } | undefined;
    await waitFor('the failure log line', () => failed() !== undefined, 20_000);
    assert.equal(failed()!.delivery.domain, 'example.test');
    assert.equal(failed()!.delivery.attempts, 1);
    assert.match(failed()!.delivery.error, /550/);

    // Accepted again; the retry comes once the backoff has passed on the server's clock, and its code signs in.
    offsetMs += BACKOFF_MS[0]! + 1;
    try {
      const code = await nextCode('retry@example.test');
      assert.ok(!JSON.stringify(logs.lines).includes(code), 'the code is never logged');
      assert.equal((await otp('retry@example.test', code)).status, 200);
    } finally {
      offsetMs -= BACKOFF_MS[0]! + 1;
    }
  });

  test('without a mail server or SMS webhook the codes are logged, and they sign in', async () => {
    // A second instance on the same database with neither configured: what `npm start` alone gives a developer.
    const logged = captureLogs('info');
    const bare = await startGatehouse({ databaseUrl: db().url, logger: logged.logger });
    const loggedTo = async (to: string) => {
      const find = () =>
        logged.lines.map((line) => line.message as Record<string, string> | undefined).find((m) => m?.to === to);
      await waitFor(`the logged message to ${to}`, () => find() !== undefined, 20_000);
      return find()!;
    };
    try {
      const startOn = (body: Record<string, unknown>) =>
        fetch(bare.url('/passwordless/start'), {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ client_id: 'web', client_secret: WEB_SECRET, send: 'code', ...body }),
        });
      assert.equal((await startOn({ connection: 'email', email: 'dev@example.test' })).status, 200);
      const email = await loggedTo('dev@example.test');
      assert.equal(email.channel, 'email');
      assert.equal((await otp('dev@example.test', email.code!, 'email', 'web', bare)).status, 200);

      assert.equal((await startOn({ connection: 'sms', phone_number: '+14155550199' })).status, 200);
      const text = await loggedTo('+14155550199');
      assert.equal(text.channel, 'sms');
      assert.equal((await otp('+14155550199', codeIn(text.body!), 'sms', 'web', bare)).status, 200);
    } finally {
      await bare.close();
    }
    assert.ok(!smtp.received.some((mail) => mail.to.includes('dev@example.test')));
  });

  test('discovery lists the OTP grant', async () => {
    const document = (await (await fetch(plain().url('/.well-known/openid-configuration'))).json()) as {
      grant_types_supported: string[];
    };
    assert.ok(document.grant_types_supported.includes(OTP));
  });
});
