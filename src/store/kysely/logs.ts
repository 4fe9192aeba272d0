// The audit log's rows. Events arrive in batches (audit/writer.ts) and are written with one multi-row INSERT;
// log_id sorts by time, so ordering by it is ordering by date, and a checkpoint is a key range.
import type { Selectable } from 'kysely';
import type { LogEvent, LogFilter, LogStore } from '../types.js';
import type { Executor } from './db.js';
import type { LogTable } from './schema.js';

/**
 * Rows per INSERT, largest first: a batch of any size is written as INSERTs of these sizes only, so the same
 * few SQL texts recur and their compiled statements are reused (kysely/db.ts keeps them) instead of each batch
 * compiling a statement of its own size. 16 columns × 256 rows stays far below both dialects' parameter limits.
 */
const INSERT_SIZES = [256, 64, 16, 4, 1];

const toRow = (event: LogEvent): LogTable => ({
  ...event,
  details: event.details === null ? null : JSON.stringify(event.details),
});
const fromRow = (row: Selectable<LogTable>): LogEvent => ({
  ...row,
  date: Number(row.date),
  details: row.details === null ? null : (JSON.parse(row.details) as Record<string, unknown>),
});

export function logStore(db: Executor): LogStore {
  const matching = (filter: LogFilter) => {
    let query = db.selectFrom('logs').where('date', '>=', filter.since);
    if (filter.types?.length) query = query.where('type', 'in', filter.types);
    for (const field of ['user_id', 'client_id', 'connection', 'ip'] as const) {
      const value = filter[field];
      if (value !== undefined) query = query.where(field, '=', value);
    }
    if (filter.from !== undefined) query = query.where('date', '>=', filter.from);
    if (filter.to !== undefined) query = query.where('date', '<', filter.to);
    return query;
  };

  return {
    async insert(events) {
      let i = 0;
      for (const size of INSERT_SIZES)
        for (; events.length - i >= size; i += size)
          await db
            .insertInto('logs')
            .values(events.slice(i, i + size).map(toRow))
            .execute();
    },
    async get(logId) {
      const row = await db.selectFrom('logs').selectAll().where('log_id', '=', logId).executeTakeFirst();
      return row && fromRow(row);
    },
    async list(filter, order, { offset, limit }) {
      const [rows, count] = await Promise.all([
        matching(filter).selectAll().orderBy('log_id', order).limit(limit).offset(offset).execute(),
        matching(filter)
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .executeTakeFirstOrThrow(),
      ]);
      return { logs: rows.map(fromRow), total: Number(count.n) };
    },
    async after(logId, take, since) {
      const rows = await db
        .selectFrom('logs')
        .selectAll()
        .where('log_id', '>', logId)
        .where('date', '>=', since)
        .orderBy('log_id', 'asc')
        .limit(take)
        .execute();
      return rows.map(fromRow);
    },
    async deleteOlderThan(before, max) {
      const result = await db
        .deleteFrom('logs')
        .where('log_id', 'in', (eb) => eb.selectFrom('logs').select('log_id').where('date', '<', before).limit(max))
        .executeTakeFirst();
      return Number(result.numDeletedRows);
    },
  };
}
