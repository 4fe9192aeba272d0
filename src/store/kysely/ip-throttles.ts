// Suspicious IP throttling's allowances: per kind of attempt and IP, leaking back over time.
import { sql } from 'kysely';
import type { IpThrottleStore } from '../types.js';
import type { Executor } from './db.js';

export function ipThrottleStore(db: Executor): IpThrottleStore {
  return {
    async take(kind, ip, at, { max, leakMs }) {
      // Rows that have leaked back to nothing are swept now and then.
      if (Math.random() < 0.01)
        await db
          .deleteFrom('ip_throttles')
          .where('kind', '=', kind)
          .where('updated_at', '<', at - max * leakMs)
          .execute();
      // What is left of the count after leaking since updated_at; DOUBLE PRECISION reads as REAL in SQLite.
      const left = sql<number>`ip_throttles.used - CAST(${at} - ip_throttles.updated_at AS DOUBLE PRECISION) / ${leakMs}`;
      const leaked = sql<number>`CASE WHEN ${left} > 0 THEN ${left} ELSE 0 END`;
      // One statement: the row is updated only while an attempt is left, and RETURNING says whether it was.
      const row = await db
        .insertInto('ip_throttles')
        .values({ kind, ip, used: 1, updated_at: at })
        .onConflict((oc) =>
          oc
            .columns(['kind', 'ip'])
            .doUpdateSet({ used: sql<number>`${leaked} + 1`, updated_at: at })
            .where(sql<boolean>`${leaked} <= ${max - 1}`),
        )
        .returning('used')
        .executeTakeFirst();
      return row !== undefined;
    },
    async giveBack(kind, ip) {
      await db
        .updateTable('ip_throttles')
        .set({ used: sql<number>`CASE WHEN used >= 1 THEN used - 1 ELSE 0 END` })
        .where('kind', '=', kind)
        .where('ip', '=', ip)
        .execute();
    },
  };
}
