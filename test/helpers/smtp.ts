// A real SMTP server (smtp-server) on a free loopback port that keeps every message it accepts, parsed with
// mailparser, for tests that follow an e-mail's link or read its code.
//
//   const smtp = await startSmtp();                       // plain SMTP, no AUTH required
//   const gatehouse = await startGatehouse({ databaseUrl, env: smtp.env });
//   const mail = await smtp.nextMessage('ada@example.com');
//   const link = linksIn(mail.text)[0]; const code = codeIn(mail.text);
//   await smtp.stop();
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type AddressObject, simpleParser } from 'mailparser';
import { SMTPServer, type SMTPServerOptions } from 'smtp-server';
import { freePort } from './server.js';

export interface SmtpOptions {
  /** 'none' (default): plain SMTP without STARTTLS; 'starttls': offers STARTTLS; 'smtps': TLS from the start. */
  tls?: 'none' | 'starttls' | 'smtps';
  /** Require AUTH with these credentials; without, AUTH is offered but optional (and recorded when used). */
  auth?: { user: string; pass: string };
}

export interface ReceivedMail {
  subject: string;
  text: string;
  html: string;
  /** The From header's address. */
  from: string;
  /** The To header's addresses. */
  to: string[];
  /** Whether the session was over TLS (STARTTLS or smtps). */
  secure: boolean;
  /** The user the client authenticated as, or undefined when it sent no AUTH. */
  user: string | undefined;
}

export interface TestSmtp {
  port: number;
  /** smtp://127.0.0.1:port or smtps://…, with the credentials when `auth` was given. */
  url: string;
  /** A PEM file with the server's self-signed certificate (for GATEHOUSE_SMTP_CA), with tls other than 'none'. */
  caFile: string | undefined;
  /** GATEHOUSE_SMTP_URL (and GATEHOUSE_SMTP_CA) for startGatehouse's `env`. */
  env: Record<string, string>;
  /** Every message accepted so far, in order. */
  received: ReceivedMail[];
  /** While set, every message is refused with this SMTP reply code (e.g. 550) and counted in `refused`. */
  refuseWith: number | undefined;
  refused: number;
  /** The next message to `to` not returned before (one already received counts), or a rejection after timeoutMs. */
  nextMessage(to: string, options?: { timeoutMs?: number }): Promise<ReceivedMail>;
  /** Resolves once `refused` reaches count. */
  waitForRefusals(count: number, options?: { timeoutMs?: number }): Promise<void>;
  stop(): Promise<void>;
}

/** A self-signed certificate for 127.0.0.1 and localhost, made by the openssl command line. */
function selfSignedCertificate(dir: string): { key: string; cert: string } {
  const keyFile = join(dir, 'key.pem');
  const certFile = join(dir, 'cert.pem');
  execFileSync(
    'openssl',
    [
      ...['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1'],
      ...['-keyout', keyFile, '-out', certFile, '-subj', '/CN=localhost'],
      ...['-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost'],
    ],
    { stdio: 'ignore' },
  );
  return { key: readFileSync(keyFile, 'utf8'), cert: readFileSync(certFile, 'utf8') };
}

const addresses = (value: AddressObject | AddressObject[] | undefined): string[] =>
  (Array.isArray(value) ? value : value ? [value] : []).flatMap((object) =>
    object.value.map((entry) => entry.address ?? ''),
  );

export async function startSmtp(options: SmtpOptions = {}): Promise<TestSmtp> {
  const tls = options.tls ?? 'none';
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-smtp-'));
  const certificate = tls === 'none' ? undefined : selfSignedCertificate(dir);
  const caFile = certificate ? join(dir, 'ca.pem') : undefined;
  if (caFile && certificate) writeFileSync(caFile, certificate.cert);

  const received: ReceivedMail[] = [];
  const taken = new Set<ReceivedMail>();
  const waiters = new Set<() => void>();
  const wake = () => {
    for (const waiter of [...waiters]) waiter();
  };

  const state = { refuseWith: undefined as number | undefined, refused: 0 };
  const serverOptions: SMTPServerOptions = {
    secure: tls === 'smtps',
    ...(certificate ?? {}),
    disabledCommands: tls === 'none' ? ['STARTTLS'] : [],
    authOptional: !options.auth,
    allowInsecureAuth: true,
    logger: false,
    onAuth(auth, _session, callback) {
      if (options.auth && (auth.username !== options.auth.user || auth.password !== options.auth.pass)) {
        callback(new Error('Invalid username or password'));
        return;
      }
      callback(null, { user: auth.username });
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        if (state.refuseWith !== undefined) {
          state.refused++;
          wake();
          callback(Object.assign(new Error('Message refused by the test server'), { responseCode: state.refuseWith }));
          return;
        }
        simpleParser(Buffer.concat(chunks)).then(
          (parsed) => {
            received.push({
              subject: parsed.subject ?? '',
              text: parsed.text ?? '',
              html: typeof parsed.html === 'string' ? parsed.html : '',
              from: addresses(parsed.from)[0] ?? '',
              to: addresses(parsed.to),
              secure: session.secure,
              user: session.user ? String(session.user) : undefined,
            });
            wake();
            callback();
          },
          (error: Error) => callback(error),
        );
      });
    },
  };
  const server = new SMTPServer(serverOptions);
  server.on('error', () => {}); // a client dropping its connection is no failure of the test server

  let port = 0;
  for (let attempt = 1; ; attempt++) {
    port = await freePort();
    const listening = await new Promise<boolean>((resolve, reject) => {
      const onError = (error: NodeJS.ErrnoException) =>
        error.code === 'EADDRINUSE' && attempt < 5 ? resolve(false) : reject(error);
      server.server.once('error', onError);
      server.listen(port, '127.0.0.1', () => {
        server.server.off('error', onError);
        resolve(true);
      });
    });
    if (listening) break;
  }

  const credentials = options.auth
    ? `${encodeURIComponent(options.auth.user)}:${encodeURIComponent(options.auth.pass)}@`
    : '';
  const url = `${tls === 'smtps' ? 'smtps' : 'smtp'}://${credentials}127.0.0.1:${port}`;

  function waitFor<T>(find: () => T | undefined, timeoutMs: number, what: string): Promise<T> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const found = find();
        if (found === undefined) return;
        clearTimeout(timer);
        waiters.delete(check);
        resolve(found);
      };
      const timer = setTimeout(() => {
        waiters.delete(check);
        reject(new Error(`no ${what} within ${timeoutMs} ms`));
      }, timeoutMs);
      waiters.add(check);
      check();
    });
  }

  return {
    port,
    url,
    caFile,
    env: { GATEHOUSE_SMTP_URL: url, ...(caFile ? { GATEHOUSE_SMTP_CA: caFile } : {}) },
    received,
    get refuseWith() {
      return state.refuseWith;
    },
    set refuseWith(code: number | undefined) {
      state.refuseWith = code;
    },
    get refused() {
      return state.refused;
    },
    nextMessage(to, { timeoutMs = 20_000 } = {}) {
      const wanted = to.toLowerCase();
      return waitFor(
        () => {
          const mail = received.find((m) => !taken.has(m) && m.to.some((a) => a.toLowerCase() === wanted));
          if (mail) taken.add(mail);
          return mail;
        },
        timeoutMs,
        `message to ${to}`,
      );
    },
    async waitForRefusals(count, { timeoutMs = 20_000 } = {}) {
      await waitFor(() => (state.refused >= count ? true : undefined), timeoutMs, `${count} refused messages`);
    },
    async stop() {
      for (const waiter of [...waiters]) waiters.delete(waiter);
      await new Promise<void>((resolve) => server.close(() => resolve()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The http(s) links in a text, in order. */
export function linksIn(text: string): string[] {
  return [...text.matchAll(/https?:\/\/[^\s"'<>)]+/g)].map((match) => match[0]);
}

/** The one six-digit code in a text; throws when there is none or more than one. */
export function codeIn(text: string): string {
  const codes = [...text.matchAll(/(?<!\d)\d{6}(?!\d)/g)].map((match) => match[0]);
  if (codes.length !== 1) throw new Error(`expected one six-digit code, found ${codes.length}: ${text}`);
  return codes[0];
}
