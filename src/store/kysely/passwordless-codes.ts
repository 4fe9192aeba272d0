// Passwordless one-time codes: one row per connection and address, so only the latest code is live. Every
// check is a single statement (an UPDATE … RETURNING), never a read then a write: parallel tries of one code
// can neither both redeem it nor overdraw its tries.
import { sql } from 'kysely';
import type { PasswordlessCodeStore } from '../types.js';
import type { Executor } from './db.js';

/** How often a new code also deletes the expired ones. */
const SWEEP_CHANCE = 0.01;

export function passwordlessCodeStore(db: Executor): PasswordlessCodeStore {
  return {
    async replace(code) {
      const row = {
        ...code,
        auth_params: code.auth_params ? JSON.stringify(code.auth_params) : null,
        attempts: 0,
        used_at: null,
      };
      const { connection: _c, identifier: _i, ...fresh } = row;
      await db
        .insertInto('passwordless_codes')
        .values(row)
        .onConflict((oc) => oc.columns(['connection', 'identifier']).doUpdateSet(fresh))
        .execute();
      // Codes long past their life are swept now and then.
      if (Math.random() < SWEEP_CHANCE)
        await db.deleteFrom('passwordless_codes').where('expires_at', '<=', code.created_at).execute();
    },

    async redeem(match, at, maxAttempts) {
      const live = db
        .updateTable('passwordless_codes')
        .where('connection', '=', match.connection)
        .where('identifier', '=', match.identifier)
        .where('used_at', 'is', null)
        .where('expires_at', '>', at)
        .where('attempts', '<', maxAttempts);
      const spent = await live
        .set({ used_at: at })
        .where('code_hash', '=', match.code_hash)
        .where('client_id', '=', match.client_id)
        .where((eb) =>
          match.binding === null
            ? eb('binding', 'is', null)
            : eb('binding', 'is', null).or('binding', '=', match.binding),
        )
        .returningAll()
        .executeTakeFirst();
      if (spent) {
        const { attempts: _a, used_at: _u, ...code } = spent;
        return {
          outcome: 'redeemed',
          code: {
            ...code,
            created_at: Number(code.created_at),
            expires_at: Number(code.expires_at),
            auth_params: code.auth_params ? (JSON.parse(code.auth_params) as Record<string, string>) : null,
          },
        };
      }
      const counted = await live.set({ attempts: sql<number>`attempts + 1` }).returning('attempts').executeTakeFirst();
      return counted ? { outcome: 'wrong', attemptsLeft: maxAttempts - Number(counted.attempts) } : { outcome: 'none' };
    },
  };
}
