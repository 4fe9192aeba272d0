// Text messages through the operator's HTTP webhook (docs/email-and-passwordless.md "Text messages"): a JSON
// POST of {to, body}, with X-Gatehouse-Signature: sha256=<hex HMAC-SHA256 of the raw body> under
// GATEHOUSE_SMS_WEBHOOK_SECRET, so the receiver can tell the request came from Gatehouse. Any answer but 2xx
// (a redirect included) is a failed delivery, retried by the outbox.
import { createHmac } from 'node:crypto';

export interface SmsSender {
  send(message: { to: string; body: string }): Promise<void>;
}

const TIMEOUT_MS = 15_000;

export const signatureOf = (secret: string, body: string) =>
  `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;

export function smsWebhookSender(url: string, secret: string): SmsSender {
  return {
    async send({ to, body }) {
      const raw = JSON.stringify({ to, body });
      const response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-gatehouse-signature': signatureOf(secret, raw) },
        body: raw,
        redirect: 'manual',
        signal: AbortSignal.timeout(TIMEOUT_MS),
      });
      await response.body?.cancel();
      if (response.status < 200 || response.status > 299) throw new Error(`SMS webhook answered ${response.status}`);
    },
  };
}
