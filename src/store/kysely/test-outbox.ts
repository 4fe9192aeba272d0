// Test mode's captured messages (delivery/capture.ts). seq numbers them in the order they were written, one
// statement each, so that two messages of the same millisecond still list in the order they were sent.
import { type Selectable, sql } from 'kysely';
import type { CapturedMessage, TestOutboxStore } from '../types.js';
import type { Executor } from './db.js';
import type { TestOutboxTable } from './schema.js';

const fromRow = (row: Selectable<TestOutboxTable>): CapturedMessage => ({
  id: row.id,
  channel: row.channel as CapturedMessage['channel'],
  kind: row.kind,
  to: row.recipient,
  from: row.sender,
  subject: row.subject,
  text: row.text_body,
  html: row.html_body,
  link: row.link,
  code: row.code,
  created_at: Number(row.created_at),
});

export function testOutboxStore(db: Executor): TestOutboxStore {
  return {
    async add(message) {
      await db
        .insertInto('test_outbox')
        .values({
          id: message.id,
          seq: sql<number>`(select coalesce(max(seq), 0) + 1 from test_outbox)`,
          channel: message.channel,
          kind: message.kind,
          recipient: message.to,
          sender: message.from,
          subject: message.subject,
          text_body: message.text,
          html_body: message.html,
          link: message.link,
          code: message.code,
          created_at: message.created_at,
        })
        .execute();
    },
    async list() {
      const rows = await db.selectFrom('test_outbox').selectAll().orderBy('seq').execute();
      return rows.map(fromRow);
    },
    async clear() {
      await db.deleteFrom('test_outbox').execute();
    },
  };
}
