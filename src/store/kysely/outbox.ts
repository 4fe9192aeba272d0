// The outbox's rows (delivery/outbox.ts). A claim is one UPDATE … WHERE claimed_until < now … RETURNING: in
// PostgreSQL a concurrent UPDATE of the same row waits for the first and then re-checks the WHERE on the row's
// new version ("UPDATE" in PostgreSQL's documentation, READ COMMITTED), and SQLite runs one writer at a time,
// so a row is claimed by one sweeper only. The end of a send (delete or retry) holds only while the claim does.
import type { Selectable } from 'kysely';
import type { OutboxMessage, OutboxStore } from '../types.js';
import type { Executor } from './db.js';
import type { OutboxTable } from './schema.js';

const fromRow = (row: Selectable<OutboxTable>): OutboxMessage => ({
  ...row,
  channel: row.channel as OutboxMessage['channel'],
  attempts: Number(row.attempts),
  next_attempt_at: Number(row.next_attempt_at),
  claimed_until: Number(row.claimed_until),
  created_at: Number(row.created_at),
});

export function outboxStore(db: Executor): OutboxStore {
  return {
    async add(message) {
      await db.insertInto('outbox').values(message).execute();
    },
    async countByChannel() {
      const rows = await db
        .selectFrom('outbox')
        .select(['channel', (eb) => eb.fn.countAll<number | string | bigint>().as('n')])
        .groupBy('channel')
        .execute();
      const counts = { email: 0, sms: 0 };
      for (const row of rows) counts[row.channel as OutboxMessage['channel']] = Number(row.n);
      return counts;
    },
    async claimDue(now, claimedUntil, limit, channels) {
      if (!channels.length) return [];
      const rows = await db
        .updateTable('outbox')
        .set({ claimed_until: claimedUntil })
        .where((eb) =>
          eb.and([
            eb(
              'id',
              'in',
              eb
                .selectFrom('outbox')
                .select('id')
                .where('next_attempt_at', '<=', now)
                .where('channel', 'in', channels)
                .where('claimed_until', '<', now)
                .orderBy('next_attempt_at')
                .limit(limit),
            ),
            eb('claimed_until', '<', now),
          ]),
        )
        .returningAll()
        .execute();
      return rows.map(fromRow);
    },
    async delete(id, claimedUntil) {
      await db.deleteFrom('outbox').where('id', '=', id).where('claimed_until', '=', claimedUntil).execute();
    },
    async retry(id, claimedUntil, { attempts, nextAttemptAt, error }) {
      await db
        .updateTable('outbox')
        .set({ attempts, next_attempt_at: nextAttemptAt, claimed_until: 0, last_error: error })
        .where('id', '=', id)
        .where('claimed_until', '=', claimedUntil)
        .execute();
    },
  };
}
