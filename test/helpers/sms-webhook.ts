// A real HTTP server on a free loopback port that receives Gatehouse's text messages the way an operator's
// SMS webhook does: a JSON POST of {to, body} signed with X-Gatehouse-Signature (HMAC-SHA256 of the raw body).
// Only correctly signed requests count as received.
//
//   const sms = await startSmsWebhook();
//   const gatehouse = await startGatehouse({ databaseUrl, env: { ...sms.env } });
//   const { body } = await sms.nextMessage('+14155550100');
//   await sms.stop();
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer } from 'node:http';
import { freePort } from './server.js';

export const SMS_WEBHOOK_SECRET = 'sms-webhook-secret-0123456789-abcdefghij';

export interface ReceivedSms {
  to: string;
  body: string;
}

export interface TestSmsWebhook {
  url: string;
  /** GATEHOUSE_SMS_WEBHOOK_URL and GATEHOUSE_SMS_WEBHOOK_SECRET for startGatehouse's `env`. */
  env: Record<string, string>;
  received: ReceivedSms[];
  /** Requests whose signature did not match (answered 401). */
  unsigned: number;
  /** The next message to `to` not returned before, or a rejection after timeoutMs. */
  nextMessage(to: string, options?: { timeoutMs?: number }): Promise<ReceivedSms>;
  stop(): Promise<void>;
}

export async function startSmsWebhook(): Promise<TestSmsWebhook> {
  const received: ReceivedSms[] = [];
  const taken = new Set<ReceivedSms>();
  const waiters = new Set<() => void>();
  const state = { unsigned: 0 };
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const raw = Buffer.concat(chunks);
      const expected = Buffer.from(`sha256=${createHmac('sha256', SMS_WEBHOOK_SECRET).update(raw).digest('hex')}`);
      const given = Buffer.from(String(request.headers['x-gatehouse-signature'] ?? ''));
      if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
        state.unsigned++;
        response.writeHead(401).end();
        return;
      }
      received.push(JSON.parse(raw.toString()) as ReceivedSms);
      response.writeHead(200).end();
      for (const waiter of [...waiters]) waiter();
    });
  });
  const port = await freePort();
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${port}/sms`;
  return {
    url,
    env: { GATEHOUSE_SMS_WEBHOOK_URL: url, GATEHOUSE_SMS_WEBHOOK_SECRET: SMS_WEBHOOK_SECRET },
    received,
    get unsigned() {
      return state.unsigned;
    },
    nextMessage(to, { timeoutMs = 20_000 } = {}) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const message = received.find((m) => !taken.has(m) && m.to === to);
          if (!message) return;
          taken.add(message);
          clearTimeout(timer);
          waiters.delete(check);
          resolve(message);
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`no text message to ${to} within ${timeoutMs} ms`));
        }, timeoutMs);
        waiters.add(check);
        check();
      });
    },
    async stop() {
      waiters.clear();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
