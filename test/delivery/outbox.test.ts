// Delivery through the outbox, on SQLite and PostgreSQL: the real store, a real SMTP server (smtp-server) and a
// real HTTP webhook. email()/sms() resolve once the message is queued; the send follows; a refused or failed
// send is logged without the message and retried after its backoff (the test moves the clock); a message whose
// worker died before sending is sent by another instance's sweep once the claim runs out; two sweepers never
// claim one row; text messages are signed.
import assert from 'node:assert/strict';
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer as createHttpServer, type IncomingMessage } from 'node:http';
import { createServer as createTcpServer, type Socket } from 'node:net';
import { afterEach, test } from 'node:test';
import { loadConfig } from '../../src/config.js';
import { createMessages } from '../../src/delivery/create.js';
import { BACKOFF_MS, CLAIM_MS, GIVE_UP_AFTER_MS } from '../../src/delivery/outbox.js';
import type { OutboxMessage } from '../../src/store/types.js';
import { captureLogs } from '../helpers/log-capture.js';
import { freePort, TEST_SECRET } from '../helpers/server.js';
import { codeIn, linksIn, startSmtp, type TestSmtp } from '../helpers/smtp.js';
import { waitFor } from '../helpers/cli.js';
import { forEachStore, type OpenedStore } from '../store/open-store.js';

const SMS_SECRET = 'sms-webhook-secret-0123456789-abcdefghij';
/** Long enough for a sweep (every 5 s) and a send on a busy machine; a test that passes never waits it out. */
const WAIT = { timeoutMs: 30_000 };

function messagesFor(opened: OpenedStore, env: Record<string, string>) {
  const logs = captureLogs('info');
  const config = loadConfig({
    GATEHOUSE_DATABASE_URL: 'sqlite:./unused.db',
    GATEHOUSE_SECRET: TEST_SECRET,
    GATEHOUSE_ISSUER: 'https://auth.example.com/',
    ...env,
  });
  const messages = createMessages({ config, store: opened.store, logger: logs.logger, now: () => opened.clock.now });
  return { messages, logs: logs.lines };
}

const verifyEmail = (to: string, url = 'https://auth.example.com/verify?ticket=t0k3n') => ({
  kind: 'verify_email' as const,
  to,
  variables: { url, user: { email: to, name: 'Ada' }, application: { name: 'Reports' } },
});

/** Everything in the outbox, due or not (claimed for a moment, then given back: claimed_until 0). */
const pending = (opened: OpenedStore) =>
  opened.store.outbox.claimDue(opened.clock.now + 10 * GIVE_UP_AFTER_MS, 0, 1000, ['email', 'sms']);

forEachStore('delivery through the outbox', (opened, kind, another) => {
  // Every instance shares the one outbox: each test's instances stop before the next test starts theirs.
  const cleanup: (() => Promise<unknown>)[] = [];
  afterEach(async () => {
    for (const step of cleanup.reverse()) await step();
    cleanup.length = 0;
    // What a test left in the outbox is claimed for ever, so no later test's sweep sends it.
    const far = opened().clock.now + 10 * GIVE_UP_AFTER_MS;
    await opened().store.outbox.claimDue(far, far * 2, 1000, ['email', 'sms']);
  });
  const smtpServer = async (options?: Parameters<typeof startSmtp>[0]) => {
    const server = await startSmtp(options);
    cleanup.push(() => server.stop());
    return server;
  };
  const open = (env: Record<string, string>) => {
    const made = messagesFor(opened(), env);
    cleanup.push(() => made.messages.close());
    return made;
  };

  test('an e-mail is queued, then delivered with its subject and sender; the row is deleted', async () => {
    const smtp: TestSmtp = await smtpServer();
    const { messages, logs } = open({ ...smtp.env });
    await messages.email(verifyEmail('ada@example.com'));
    const mail = await smtp.nextMessage('ada@example.com', WAIT);
    assert.equal(mail.subject, 'Verify your email');
    assert.equal(mail.from, 'no-reply@auth.example.com', 'GATEHOUSE_SMTP_FROM defaults to no-reply@<issuer host>');
    assert.deepEqual(linksIn(mail.text), ['https://auth.example.com/verify?ticket=t0k3n']);
    assert.match(mail.html, /href="https:\/\/auth\.example\.com\/verify\?ticket=t0k3n"/);
    assert.match(mail.text, /Welcome to Reports!/);
    await waitFor('the delivered log line', () => logs.some((line) => line.msg === 'message delivered'), 20_000);
    assert.deepEqual(await pending(opened()), []);
  });

  test('a refused message: email() still resolves, the failure is logged without the message, and it is retried', async () => {
    const smtp = await smtpServer();
    smtp.refuseWith = 550;
    const { messages, logs } = open({ ...smtp.env, GATEHOUSE_SMTP_FROM: 'Reports <mail@reports.example>' });
    await messages.email(verifyEmail('grace@example.com', 'https://auth.example.com/verify?ticket=s3cr3t'));
    await smtp.waitForRefusals(1, WAIT);
    await waitFor(
      'the failure log line',
      () => logs.some((line) => line.msg === 'message not delivered; will retry'),
      20_000,
    );
    const failure = logs.find((line) => line.msg === 'message not delivered; will retry') as {
      delivery: Record<string, unknown>;
    };
    assert.equal(failure.delivery.kind, 'verify_email');
    assert.equal(failure.delivery.domain, 'example.com');
    assert.equal(failure.delivery.attempts, 1);
    assert.match(String(failure.delivery.error), /550/);
    assert.ok(!JSON.stringify(logs).includes('s3cr3t'), 'the link is never logged');

    // Accepted again; the retry comes once the first backoff has passed on the server's clock.
    smtp.refuseWith = undefined;
    opened().clock.advance(BACKOFF_MS[0] + 1);
    const mail = await smtp.nextMessage('grace@example.com', WAIT);
    assert.equal(mail.from, 'mail@reports.example');
    assert.deepEqual(linksIn(mail.text), ['https://auth.example.com/verify?ticket=s3cr3t']);
    assert.equal(smtp.refused, 1);
  });

  test('?requireTLS=true against a server without STARTTLS: not sent, logged, kept for a retry', async () => {
    const smtp = await smtpServer({ tls: 'none' });
    const { messages, logs } = open({ GATEHOUSE_SMTP_URL: `${smtp.url}?requireTLS=true` });
    await messages.email(verifyEmail('tls@example.com'));
    await waitFor(
      'the failure log line',
      () => logs.some((line) => line.msg === 'message not delivered; will retry'),
      20_000,
    );
    assert.equal(smtp.received.length, 0);
    const [row] = await pending(opened());
    assert.equal(row.recipient, 'tls@example.com');
    assert.equal(row.attempts, 1);
    assert.match(String(row.last_error), /STARTTLS/i);
  });

  test('a message never delivered is dropped after 24 hours, with an error log line', async () => {
    const smtp = await smtpServer();
    smtp.refuseWith = 451;
    const { messages, logs } = open({ ...smtp.env });
    await messages.email(verifyEmail('gone@example.com'));
    await waitFor(
      'the first failure',
      () => logs.some((line) => line.msg === 'message not delivered; will retry'),
      20_000,
    );
    opened().clock.advance(GIVE_UP_AFTER_MS);
    await waitFor(
      'the drop',
      () => logs.some((line) => line.msg === 'message dropped: not delivered within 24 hours'),
      20_000,
    );
    assert.equal(smtp.refused, 2);
    assert.ok(!(await pending(opened())).some((row) => row.recipient === 'gone@example.com'));
  });

  test('queued by a worker that dies before sending: another instance sends it once the claim runs out', async () => {
    // The first worker's mail server accepts the connection and never answers: its send hangs, as a send
    // does when the worker is killed mid-way. Its claim keeps other sweepers off until it runs out.
    const sockets = new Set<Socket>();
    const silent = createTcpServer((socket) => {
      sockets.add(socket);
      socket.on('error', () => {});
    });
    const silentPort = await freePort();
    await new Promise<void>((resolve) => silent.listen(silentPort, '127.0.0.1', resolve));
    cleanup.push(async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => silent.close(resolve));
    });
    const first = open({ GATEHOUSE_SMTP_URL: `smtp://127.0.0.1:${silentPort}` });
    await first.messages.email(verifyEmail('lin@example.com', 'https://auth.example.com/verify?ticket=once'));
    await waitFor('the first worker to connect', () => sockets.size > 0, 20_000);
    // The worker is gone: from now on it sweeps no more (its hanging send fails later, when its claim is
    // no longer the row's, and so changes nothing).
    const closing = first.messages.close();
    cleanup.push(() => closing);

    const smtp = await smtpServer();
    const second = await another();
    const { messages } = messagesFor(second, { ...smtp.env });
    cleanup.push(() => messages.close());
    opened().clock.advance(CLAIM_MS + 1);
    const mail = await smtp.nextMessage('lin@example.com', WAIT);
    assert.deepEqual(linksIn(mail.text), ['https://auth.example.com/verify?ticket=once']);
  });

  test('two sweepers at once claim each due row once', async () => {
    const second = await another();
    const now = opened().clock.now;
    const rows: OutboxMessage[] = Array.from({ length: 12 }, (_, i) => ({
      id: `race-${i}-${now}`,
      channel: 'sms',
      kind: null,
      recipient: '+15550100',
      sender: null,
      subject: null,
      text_body: 'x',
      html_body: null,
      attempts: 0,
      next_attempt_at: now - 1,
      claimed_until: 0,
      last_error: null,
      created_at: now,
    }));
    for (const row of rows) await opened().store.outbox.add(row);
    // Rounds of four concurrent sweeps (a claim that meets a row another one holds skips it: PostgreSQL
    // re-checks the WHERE after the wait) until every row is claimed.
    const ids: string[] = [];
    for (let round = 0; round < 10 && ids.length < 12; round++) {
      const claims = await Promise.all(
        [opened(), second, opened(), second].map((s) => s.store.outbox.claimDue(now, now + CLAIM_MS, 5, ['sms'])),
      );
      ids.push(
        ...claims
          .flat()
          .map((row) => row.id)
          .filter((id) => id.startsWith('race-')),
      );
    }
    assert.equal(new Set(ids).size, ids.length, 'no row claimed twice');
    assert.equal(ids.length, 12);
  });

  // PostgreSQL only: SQLite runs one writer at a time (a second connection would block this thread), while
  // PostgreSQL lets the second UPDATE wait on the rows' locks, then re-check them once the first commits.
  const onPostgres = kind.name === 'PostgreSQL' ? test : () => {};
  onPostgres('a claim that waited for another one holding the rows claims none of them', async () => {
    const second = await another();
    const now = opened().clock.now;
    const base = { channel: 'sms' as const, kind: null, recipient: '+15550101', sender: null, subject: null };
    const ids = [`held-a-${now}`, `held-b-${now}`];
    for (const id of ids)
      await opened().store.outbox.add({
        ...base,
        id,
        text_body: 'x',
        html_body: null,
        attempts: 0,
        next_attempt_at: now - 1,
        claimed_until: 0,
        last_error: null,
        created_at: now,
      });
    let waiting: Promise<OutboxMessage[]> | undefined;
    const first = await opened().store.transaction(null, async (tx) => {
      const claimed = await tx.outbox.claimDue(now, now + CLAIM_MS, 10, ['sms']);
      waiting = second.store.outbox.claimDue(now, now + CLAIM_MS, 10, ['sms']);
      // Give the second claim time to reach the locked rows before this one commits.
      await new Promise((resolve) => setTimeout(resolve, 300));
      return claimed;
    });
    assert.deepEqual(first.map((row) => row.id).sort(), ids.sort());
    assert.deepEqual(
      (await waiting)?.map((row) => row.id),
      [],
    );
  });

  test('a text message is POSTed to the webhook as {to, body}, signed; a non-2xx answer is retried', async () => {
    const received: { to: string; body: string }[] = [];
    let answer = 503;
    const webhook = createHttpServer((request: IncomingMessage, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        const raw = Buffer.concat(chunks);
        const expected = Buffer.from(`sha256=${createHmac('sha256', SMS_SECRET).update(raw).digest('hex')}`);
        const given = Buffer.from(String(request.headers['x-gatehouse-signature'] ?? ''));
        const valid = given.length === expected.length && timingSafeEqual(given, expected);
        if (!valid) {
          response.writeHead(401).end();
          return;
        }
        if (answer === 200) received.push(JSON.parse(raw.toString()) as { to: string; body: string });
        response.writeHead(answer).end();
      });
    });
    const port = await freePort();
    await new Promise<void>((resolve) => webhook.listen(port, '127.0.0.1', resolve));
    cleanup.push(() => new Promise((resolve) => webhook.close(resolve)));

    const { messages, logs } = open({
      GATEHOUSE_SMS_WEBHOOK_URL: `http://127.0.0.1:${port}/sms`,
      GATEHOUSE_SMS_WEBHOOK_SECRET: SMS_SECRET,
    });
    await messages.sms({ to: '+15550123', body: 'Your verification code is: 482913' });
    await waitFor(
      'the 503 to be logged',
      () => logs.some((line) => line.msg === 'message not delivered; will retry'),
      20_000,
    );
    assert.ok(!JSON.stringify(logs).includes('482913'), 'the code is never logged');
    answer = 200;
    opened().clock.advance(BACKOFF_MS[0] + 1);
    await waitFor('the webhook to accept the message', () => received.length === 1, 20_000);
    assert.deepEqual(received, [{ to: '+15550123', body: 'Your verification code is: 482913' }]);
  });

  test("the passwordless e-mail: the email connection's options.email when set, else the default with one code", async () => {
    const smtp = await smtpServer();
    const { messages } = open({ ...smtp.env });
    const variables = { code: '730215', application: { name: 'Reports' }, user: {} };
    await messages.email({ kind: 'passwordless', to: 'code@example.com', variables, connection: 'email' });
    const standard = await smtp.nextMessage('code@example.com', WAIT);
    assert.equal(codeIn(standard.text), '730215');
    assert.equal(standard.subject, 'Welcome to Reports');

    const connection = {
      id: `con_${opened().clock.now}`,
      name: 'email',
      strategy: 'email',
      enabled_clients: [],
      options: {
        email: {
          from: 'login@reports.example',
          subject: 'Your code for {{ application.name }}',
          syntax: 'liquid',
          body: '<p>Hello {{ user.name }}, your code is <b>{{ code }}</b>.</p>',
        },
      },
    };
    await opened().store.connections.insert(connection);
    await messages.email({
      kind: 'passwordless',
      to: 'custom@example.com',
      variables: { ...variables, user: { name: '<script>alert(1)</script>' } },
      connection: 'email',
    });
    const custom = await smtp.nextMessage('custom@example.com', WAIT);
    assert.equal(custom.subject, 'Your code for Reports');
    assert.equal(custom.from, 'login@reports.example');
    assert.match(custom.html, /&lt;script&gt;alert\(1\)&lt;\/script&gt;/, 'variables are escaped in HTML');
    assert.ok(!custom.html.includes('<script>'));
    assert.equal(codeIn(custom.text), '730215');
  });
});
