// The SMTP transport against a real smtp-server: STARTTLS when offered, plain SMTP when not, requireTLS,
// smtps, and credentials only when the URL carries them.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, describe, test } from 'node:test';
import { smtpSender } from '../../src/delivery/smtp.js';
import { startSmtp, type TestSmtp } from '../helpers/smtp.js';

const mail = (to: string) => ({
  from: 'no-reply@gatehouse.test',
  to,
  subject: 'Verify your email',
  text: 'Your code is 123456',
  html: '<p>Your code is <b>123456</b></p>',
});

async function sendThrough(url: string, ca: string | undefined, to: string) {
  const sender = smtpSender(url, ca);
  try {
    await sender.send(mail(to));
  } finally {
    sender.close();
  }
}

describe('SMTP transport', () => {
  const servers: TestSmtp[] = [];
  const start = async (options: Parameters<typeof startSmtp>[0]) => {
    const server = await startSmtp(options);
    servers.push(server);
    return server;
  };
  const caOf = (server: TestSmtp) => (server.caFile ? readFileSync(server.caFile, 'utf8') : undefined);
  after(async () => {
    await Promise.all(servers.map((server) => server.stop()));
  });

  test('smtp:// to a server without STARTTLS sends in plain text, with subject, from, text and html', async () => {
    const smtp = await start({ tls: 'none' });
    await sendThrough(smtp.url, undefined, 'plain@example.com');
    const received = await smtp.nextMessage('plain@example.com');
    assert.equal(received.subject, 'Verify your email');
    assert.equal(received.from, 'no-reply@gatehouse.test');
    assert.equal(received.text.trim(), 'Your code is 123456');
    assert.match(received.html, /<b>123456<\/b>/);
    assert.equal(received.secure, false);
    assert.equal(received.user, undefined);
  });

  test('smtp:// upgrades with STARTTLS when the server offers it, checking the certificate against GATEHOUSE_SMTP_CA', async () => {
    const smtp = await start({ tls: 'starttls' });
    await sendThrough(smtp.url, caOf(smtp), 'starttls@example.com');
    assert.equal((await smtp.nextMessage('starttls@example.com')).secure, true);
    // Without the CA the self-signed certificate is refused: no silent fall-back to plain text.
    await assert.rejects(sendThrough(smtp.url, undefined, 'untrusted@example.com'), /certificate/i);
  });

  test('smtps:// is TLS from the start', async () => {
    const smtp = await start({ tls: 'smtps' });
    assert.match(smtp.url, /^smtps:/);
    await sendThrough(smtp.url, caOf(smtp), 'smtps@example.com');
    assert.equal((await smtp.nextMessage('smtps@example.com')).secure, true);
  });

  test('?requireTLS=true refuses a server that offers no STARTTLS', async () => {
    const smtp = await start({ tls: 'none' });
    await assert.rejects(sendThrough(`${smtp.url}?requireTLS=true`, undefined, 'required@example.com'), /STARTTLS/i);
    assert.equal(smtp.received.length, 0);
  });

  test('credentials in the URL are sent with AUTH; a URL without them sends none', async () => {
    const withAuth = await start({ tls: 'starttls', auth: { user: 'mailer', pass: 'p@ss word' } });
    assert.match(withAuth.url, /mailer:p%40ss%20word@/);
    await sendThrough(withAuth.url, caOf(withAuth), 'auth@example.com');
    assert.equal((await withAuth.nextMessage('auth@example.com')).user, 'mailer');
    await assert.rejects(
      sendThrough(withAuth.url.replace('mailer:p%40ss%20word@', ''), caOf(withAuth), 'x@example.com'),
    );

    const open = await start({ tls: 'starttls' });
    await sendThrough(open.url, caOf(open), 'noauth@example.com');
    assert.equal((await open.nextMessage('noauth@example.com')).user, undefined);
  });
});
