// The Messages that buildApp hands the surfaces: with GATEHOUSE_SMTP_URL e-mails go through the outbox to the
// mail server, with GATEHOUSE_SMS_WEBHOOK_URL text messages go through it to the webhook; a channel without its
// setting is written to the log (logMessages), so a developer without a mail server still sees links and codes.
import { readFileSync } from 'node:fs';
import { type Config, ConfigError } from '../config.js';
import type { ConnectionStore, EmailTemplateStore, OutboxStore } from '../store/types.js';
import { type EmailMessage, logMessages, type Messages } from './messages.js';
import { Outbox, type OutboxLogger } from './outbox.js';
import { smsWebhookSender } from './sms-webhook.js';
import { smtpSender } from './smtp.js';
import { createEmailLiquid, defaultSources, type EmailLiquid, type RenderedEmail } from './templates.js';

export interface DeliveryDeps {
  config: Config;
  store: { outbox: OutboxStore; emailTemplates: EmailTemplateStore; connections: ConnectionStore };
  logger: OutboxLogger;
  now: () => number;
}

interface PasswordlessEmailOptions {
  from?: unknown;
  subject?: unknown;
  body?: unknown;
}

const text = (value: unknown) => (typeof value === 'string' && value.trim() ? value : undefined);

/** The message's sender and source: the stored template or the connection's options.email, else the default. */
export async function sourceOf(message: EmailMessage, deps: DeliveryDeps) {
  const fallback = defaultSources[message.kind];
  const from = deps.config.smtpFrom;
  if (message.kind === 'passwordless') {
    // Auth0 docs, "Passwordless Connections": the email connection's options.email {from, subject, syntax, body}.
    const connection = await deps.store.connections.getByName(message.connection ?? 'email');
    const options = (connection?.options.email ?? {}) as PasswordlessEmailOptions;
    const body = text(options.body);
    return {
      enabled: true,
      from: text(options.from) ?? from,
      source: body ? { subject: text(options.subject) ?? fallback.subject, html: body } : fallback,
    };
  }
  const stored = await deps.store.emailTemplates.get(message.kind);
  if (!stored) return { enabled: true, from, source: fallback };
  return {
    enabled: stored.enabled,
    from: text(stored.from) ?? from,
    // The default body keeps its own plain-text part; a replaced one has its text made from the HTML.
    source: {
      subject: stored.subject,
      html: stored.body,
      text: stored.body === fallback.html ? fallback.text : undefined,
    },
  };
}

export async function renderEmail(
  liquid: EmailLiquid,
  message: EmailMessage,
  source: { subject: string; html: string; text?: string },
  logger: OutboxLogger,
): Promise<RenderedEmail> {
  try {
    return await liquid.render(source, message.variables);
  } catch (error) {
    // A template that parsed but fails to render (a render limit): the message still goes out, in the default.
    logger.error(
      { delivery: { kind: message.kind, error: (error as Error).message } },
      'e-mail template failed; default used',
    );
    return liquid.render(defaultSources[message.kind], message.variables);
  }
}

/** GATEHOUSE_SMTP_CA's certificates; a file that cannot be read stops the start (start-up.ts checks it first). */
export function readSmtpCa(config: Config): string | undefined {
  if (!config.smtpCa || !config.smtpUrl) return undefined;
  try {
    return readFileSync(config.smtpCa, 'utf8');
  } catch (error) {
    throw new ConfigError(
      `GATEHOUSE_SMTP_CA: cannot read ${config.smtpCa} (${(error as NodeJS.ErrnoException).code ?? 'error'})`,
    );
  }
}

export function createMessages(deps: DeliveryDeps): Messages {
  const { config, logger } = deps;
  const logged = logMessages(logger);
  if (!config.smtpUrl && !config.smsWebhookUrl) return logged;

  const smtp = config.smtpUrl ? smtpSender(config.smtpUrl, readSmtpCa(config)) : undefined;
  const sms =
    config.smsWebhookUrl && config.smsWebhookSecret
      ? smsWebhookSender(config.smsWebhookUrl, config.smsWebhookSecret)
      : undefined;
  const outbox = new Outbox({
    store: deps.store.outbox,
    logger,
    now: deps.now,
    senders: {
      email: smtp
        ? (row) =>
            smtp.send({
              from: row.sender ?? config.smtpFrom,
              to: row.recipient,
              subject: row.subject ?? '',
              text: row.text_body,
              html: row.html_body ?? '',
            })
        : undefined,
      sms: sms ? (row) => sms.send({ to: row.recipient, body: row.text_body }) : undefined,
    },
  });
  const liquid = createEmailLiquid();

  return {
    async email(message) {
      if (!smtp) return logged.email(message);
      const { enabled, from, source } = await sourceOf(message, deps);
      if (!enabled) {
        logger.info({ delivery: { kind: message.kind } }, 'e-mail not sent: its template is disabled');
        return;
      }
      const rendered = await renderEmail(liquid, message, source, logger);
      await outbox.queue({
        channel: 'email',
        kind: message.kind,
        recipient: message.to,
        sender: from,
        subject: rendered.subject,
        text_body: rendered.text,
        html_body: rendered.html,
      });
    },
    async sms(message) {
      if (!sms) return logged.sms(message);
      await outbox.queue({
        channel: 'sms',
        kind: null,
        recipient: message.to,
        sender: null,
        subject: null,
        text_body: message.body,
        html_body: null,
      });
    },
    async close() {
      await outbox.close();
      smtp?.close();
    },
  };
}
