// What Gatehouse sends people: the e-mails of Auth0's templates (Auth0 docs, "Customize Email Templates":
// verify_email, reset_email, welcome_email, blocked_account), the passwordless e-mail (the `email`
// connection's options.email, Auth0 docs "Passwordless Connections") and text messages (the `sms` connection).
//
// A surface hands a message over and answers at once: delivery happens after the HTTP answer, and a failed
// delivery is retried, so a slow or broken mail server never delays or fails a request.
export const emailTemplateNames = ['verify_email', 'reset_email', 'welcome_email', 'blocked_account'] as const;
export type EmailTemplateName = (typeof emailTemplateNames)[number];
/** The templates, and the passwordless e-mail of an `email` connection. */
export type EmailKind = EmailTemplateName | 'passwordless';

export interface EmailMessage {
  kind: EmailKind;
  to: string;
  /**
   * What the template reads, with Auth0's variable names: `url` (verification and reset links), `code` and `link`
   * (passwordless), `user` ({email, name, …}), `application` ({name, client_id}), `connection` ({name}).
   */
  variables: Record<string, unknown>;
  /** For a passwordless e-mail: the connection whose options.email holds its template. */
  connection?: string;
}

export interface SmsMessage {
  to: string;
  body: string;
  /** The one-time code the body carries (test mode's outbox shows it apart). */
  code?: string;
}

export interface Messages {
  /** Queues an e-mail; resolves once it is safely queued (never waits for the mail server). */
  email(message: EmailMessage): Promise<void>;
  /** Queues a text message; resolves once it is safely queued (never waits for the webhook). */
  sms(message: SmsMessage): Promise<void>;
  /** Delivers what is still queued (a clean shutdown). */
  close(): Promise<void>;
}

interface InfoLogger {
  info(fields: object, message: string): void;
}

/**
 * Without a mail server or an SMS webhook: every message is written to the log with its link or code, so a
 * developer running `npm start` alone can still finish every flow.
 */
export function logMessages(logger: InfoLogger): Messages {
  return {
    async email({ kind, to, variables, connection }) {
      const { url, code, link } = variables;
      logger.info(
        { message: { channel: 'email', kind, to, connection, url, code, link } },
        'e-mail not sent (no SMTP)',
      );
    },
    async sms({ to, body }) {
      logger.info({ message: { channel: 'sms', to, body } }, 'text message not sent (no SMS webhook)');
    },
    async close() {},
  };
}
