// Brute-force protection's counters: failed logins per identifier and IP, taken in one statement.
import { sql } from 'kysely';
import type { LoginFailureStore, LoginIdentifier } from '../types.js';
import type { Executor } from './db.js';

export function loginFailureStore(db: Executor): LoginFailureStore {
  const matching = (who: LoginIdentifier) => {
    const query = db.selectFrom('login_failures').where('identifier', 'in', who.identifiers);
    return who.connection === undefined ? query : query.where('connection', '=', who.connection);
  };
  return {
    async take(key, at, { max, forgetMs }) {
      // Counts not added to for forgetMs are forgotten, and their rows swept now and then.
      if (Math.random() < 0.01)
        await db
          .deleteFrom('login_failures')
          .where('last_failure_at', '<=', at - forgetMs)
          .execute();
      const forgotten = sql<boolean>`login_failures.last_failure_at <= ${at - forgetMs}`;
      // One statement: the row is counted up only while it is under max (or forgotten), and RETURNING says whether it was.
      const row = await db
        .insertInto('login_failures')
        .values({
          connection: key.connection,
          identifier: key.identifier,
          ip: key.ip,
          failures: 1,
          last_failure_at: at,
        })
        .onConflict((oc) =>
          oc
            .columns(['connection', 'identifier', 'ip'])
            .doUpdateSet({
              failures: sql<number>`CASE WHEN ${forgotten} THEN 1 ELSE login_failures.failures + 1 END`,
              last_failure_at: at,
            })
            .where(sql<boolean>`login_failures.failures < ${max} OR ${forgotten}`),
        )
        .returning('failures')
        .executeTakeFirst();
      return row !== undefined;
    },
    async reset(key) {
      await db
        .deleteFrom('login_failures')
        .where('connection', '=', key.connection)
        .where('identifier', '=', key.identifier)
        .where('ip', '=', key.ip)
        .execute();
    },
    async blocked(who, at, { max, forgetMs }) {
      if (!who.identifiers.length) return [];
      // What take() refuses: `max` failures counted, the last one less than forgetMs ago.
      return matching(who)
        .select(['connection', 'identifier', 'ip'])
        .where('failures', '>=', max)
        .where('last_failure_at', '>', at - forgetMs)
        .orderBy('connection')
        .orderBy('identifier')
        .orderBy('ip')
        .execute();
    },
    async clear(who) {
      if (!who.identifiers.length) return;
      let query = db.deleteFrom('login_failures').where('identifier', 'in', who.identifiers);
      if (who.connection !== undefined) query = query.where('connection', '=', who.connection);
      await query.execute();
    },
  };
}
