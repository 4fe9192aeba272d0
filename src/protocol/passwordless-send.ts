// Sending a passwordless code (Auth0 docs: "Passwordless Connections", "Configure Email or SMS for Passwordless
// Authentication"), shared by POST /passwordless/start and the Universal Login pages so that both count against
// the same limits and send the same messages.
import type { Messages } from '../delivery/messages.js';
import type { Client, Connection, IpThrottleStore } from '../store/types.js';
import { type PasswordlessStrategy, startLimits } from './passwordless.js';

/** Auth0's words past the limits on sending codes (per IP and per address). */
export const TOO_MANY_REQUESTS = 'Too many requests. Please try again later.';
/** Auth0's default text message (the `sms` connection's options.template, with @@password@@ for the code). */
export const DEFAULT_SMS_TEMPLATE = 'Your verification code is: @@password@@';

/**
 * Takes one send from the IP's and the address's allowance (Auth0: 50 per IP and 10 per address per hour), each
 * in one statement, before anything is sent; false when either is spent (answer 429).
 */
export async function takeSendAllowance(
  ipThrottles: IpThrottleStore,
  connection: Connection,
  identifier: string,
  ip: string,
  at: number,
): Promise<boolean> {
  const { ip: perIp, address: perAddress } = startLimits;
  return (
    (await ipThrottles.take(perIp.kind, ip, at, perIp)) &&
    (await ipThrottles.take(perAddress.kind, `${connection.name}:${identifier}`, at, perAddress))
  );
}

export interface PasswordlessMessage {
  connection: Connection & { strategy: PasswordlessStrategy };
  client: Client;
  identifier: string;
  code: string;
  /** The magic link carrying the code, for an e-mail that sends a link instead of the code. */
  link?: string;
}

/** Hands the code (or link) to delivery: the connection's text message, or its passwordless e-mail. */
export async function sendPasswordlessMessage(messages: Messages, message: PasswordlessMessage): Promise<void> {
  const { connection, client, identifier, code, link } = message;
  if (connection.strategy === 'sms') {
    await messages.sms({ to: identifier, body: smsBody(connection, code), code });
    return;
  }
  await messages.email({
    kind: 'passwordless',
    to: identifier,
    connection: connection.name,
    variables: {
      ...(link ? { link } : { code }),
      email: identifier,
      application: { name: client.name, client_id: client.client_id },
      connection: { name: connection.name },
    },
  });
}

function smsBody(connection: Connection, code: string): string {
  const template = typeof connection.options.template === 'string' ? connection.options.template : DEFAULT_SMS_TEMPLATE;
  return template.includes('@@password@@') ? template.replaceAll('@@password@@', code) : `${template} ${code}`;
}
