// Test mode's Messages: every e-mail and text message is rendered exactly as it would be sent, then kept in the
// test_outbox table for GET /test/outbox instead of being delivered (docs/testing-your-app.md). In the
// database, not in memory: a test reads it from whatever process answers, and it survives nothing it should not
// (a reset restores it to empty). The link and the code are taken from what the surface handed over (Auth0's
// template variables `url`, `link` and `code`), so a test never parses HTML.
import { randomUUID } from 'node:crypto';
import { type DeliveryDeps, renderEmail, sourceOf } from './create.js';
import type { Messages } from './messages.js';
import type { TestOutboxStore } from '../store/types.js';
import { createEmailLiquid } from './templates.js';

export interface CaptureDeps extends DeliveryDeps {
  store: DeliveryDeps['store'] & { testOutbox: TestOutboxStore };
}

const stringOr = (value: unknown) => (typeof value === 'string' && value ? value : null);

export function captureMessages(deps: CaptureDeps): Messages {
  const liquid = createEmailLiquid();
  return {
    async email(message) {
      const { enabled, from, source } = await sourceOf(message, deps);
      if (!enabled) {
        deps.logger.info({ delivery: { kind: message.kind } }, 'e-mail not sent: its template is disabled');
        return;
      }
      const rendered = await renderEmail(liquid, message, source, deps.logger);
      const { url, link, code } = message.variables;
      await deps.store.testOutbox.add({
        id: randomUUID(),
        channel: 'email',
        kind: message.kind,
        to: message.to,
        from,
        subject: rendered.subject,
        text: rendered.text,
        html: rendered.html,
        link: stringOr(url) ?? stringOr(link),
        code: stringOr(code),
        created_at: deps.now(),
      });
    },
    async sms(message) {
      await deps.store.testOutbox.add({
        id: randomUUID(),
        channel: 'sms',
        kind: null,
        to: message.to,
        from: null,
        subject: null,
        text: message.body,
        html: null,
        link: /https?:\/\/\S+/.exec(message.body)?.[0] ?? null,
        code: message.code ?? null,
        created_at: deps.now(),
      });
    },
    async close() {},
  };
}
