// E-mail to a mail server through nodemailer, configured by GATEHOUSE_SMTP_URL (docs/email-and-passwordless.md):
//   smtp://host:587               STARTTLS when the server offers it (RFC 3207), plain SMTP otherwise
//   smtp://host:587?requireTLS=true   STARTTLS or nothing: a server without it fails the delivery
//   smtps://host:465              TLS from the first byte (RFC 8314 §3.3)
// Credentials (AUTH, RFC 4954) only when the URL carries user:password. Certificates are checked against the
// system's CAs, or only those of GATEHOUSE_SMTP_CA when it is set (an internal or self-signed CA).
import nodemailer from 'nodemailer';
import type SMTPTransport from 'nodemailer/lib/smtp-transport/index.js';

export interface Email {
  from: string;
  to: string;
  subject: string;
  text: string;
  html: string;
}

export interface EmailSender {
  send(email: Email): Promise<void>;
  close(): void;
}

/** Seconds nodemailer waits: short enough that a stalled server gives its row back for a retry soon. */
const CONNECTION_TIMEOUT_MS = 10_000;
const GREETING_TIMEOUT_MS = 10_000;
const SOCKET_TIMEOUT_MS = 30_000;
/** The longest one send may take; the outbox claims a row for longer than this. */
export const MAX_SEND_MS = CONNECTION_TIMEOUT_MS + GREETING_TIMEOUT_MS + SOCKET_TIMEOUT_MS * 2;

/** The URL's parts as nodemailer's options; config.ts already checked the scheme and the query. */
export function smtpTransportOptions(url: string, ca?: string): SMTPTransport.Options {
  const parsed = new URL(url);
  const secure = parsed.protocol === 'smtps:';
  const user = decodeURIComponent(parsed.username);
  const pass = decodeURIComponent(parsed.password);
  return {
    host: parsed.hostname.replace(/^\[(.*)\]$/, '$1'),
    port: parsed.port ? Number(parsed.port) : secure ? 465 : 587,
    secure,
    requireTLS: parsed.searchParams.get('requireTLS') === 'true',
    ...(user || pass ? { auth: { user, pass } } : {}),
    tls: ca ? { ca } : {},
    connectionTimeout: CONNECTION_TIMEOUT_MS,
    greetingTimeout: GREETING_TIMEOUT_MS,
    socketTimeout: SOCKET_TIMEOUT_MS,
  };
}

/** The query parameters a GATEHOUSE_SMTP_URL may carry. */
export const smtpUrlParameters = ['requireTLS'] as const;

export function smtpSender(url: string, ca?: string): EmailSender {
  // One connection per message: a message goes out right after the answer, rarely in bursts.
  const transport = nodemailer.createTransport(smtpTransportOptions(url, ca));
  return {
    async send(email) {
      await transport.sendMail(email);
    },
    close() {
      transport.close();
    },
  };
}
