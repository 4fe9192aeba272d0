// Device authorizations (RFC 8628), by the device code's hash. Every change is one statement guarded by the
// state it moves from (an UPDATE … WHERE … RETURNING), never a read then a write: parallel polls, approvals
// and redemptions, from any instance, cannot both win.
import { sql } from 'kysely';
import type { DeviceCode, DeviceCodeStore } from '../types.js';
import type { Executor } from './db.js';

/** How often a new authorization also deletes those a day past their expiry. */
const SWEEP_CHANCE = 0.01;
const DAY_MS = 86_400_000;
/** RFC 8628 §3.5: each slow_down adds five seconds to the interval. */
const SLOW_DOWN_STEP_S = 5;

type Row = Omit<DeviceCode, 'status'> & { status: string };
const asCode = (row: Row | undefined): DeviceCode | undefined =>
  row && { ...row, status: row.status as DeviceCode['status'] };

export function deviceCodeStore(db: Executor): DeviceCodeStore {
  const pendingByUserCode = (userCode: string, at: number) =>
    db
      .updateTable('device_codes')
      .where('user_code', '=', userCode)
      .where('status', '=', 'pending')
      .where('expires_at', '>', at);

  return {
    async insert(code) {
      if (Math.random() < SWEEP_CHANCE)
        await db
          .deleteFrom('device_codes')
          .where('expires_at', '<', code.created_at - DAY_MS)
          .execute();
      // A user code still held by another row (live, or kept until the sweep) is a conflict: the caller draws again.
      const row = await db
        .insertInto('device_codes')
        .values(code)
        .onConflict((oc) => oc.doNothing())
        .returning('user_code')
        .executeTakeFirst();
      return row !== undefined;
    },

    async findPending(userCode, at) {
      return asCode(
        await db
          .selectFrom('device_codes')
          .selectAll()
          .where('user_code', '=', userCode)
          .where('status', '=', 'pending')
          .where('expires_at', '>', at)
          .executeTakeFirst(),
      );
    },

    async poll(deviceCodeHash, clientId, at) {
      const mine = db
        .updateTable('device_codes')
        .where('device_code_hash', '=', deviceCodeHash)
        .where('client_id', '=', clientId);
      // In time: the first poll, or one at least poll_interval seconds after the previous one.
      const inTime = await mine
        .set({ last_polled_at: at })
        .where((eb) =>
          eb.or([eb('last_polled_at', 'is', null), eb(sql<number>`last_polled_at + poll_interval * 1000`, '<=', at)]),
        )
        .returningAll()
        .executeTakeFirst();
      if (inTime) return { code: asCode(inTime)!, tooFast: false };
      const slowed = await mine
        .set({ last_polled_at: at, poll_interval: sql<number>`poll_interval + ${SLOW_DOWN_STEP_S}` })
        .returningAll()
        .executeTakeFirst();
      return slowed && { code: asCode(slowed)!, tooFast: true };
    },

    async approve(userCode, at, approval) {
      return asCode(
        await pendingByUserCode(userCode, at)
          .set({ status: 'approved', ...approval })
          .returningAll()
          .executeTakeFirst(),
      );
    },

    async deny(userCode, at) {
      return asCode(await pendingByUserCode(userCode, at).set({ status: 'denied' }).returningAll().executeTakeFirst());
    },

    async redeem(deviceCodeHash, clientId, at) {
      return asCode(
        await db
          .updateTable('device_codes')
          .set({ redeemed_at: at })
          .where('device_code_hash', '=', deviceCodeHash)
          .where('client_id', '=', clientId)
          .where('status', '=', 'approved')
          .where('redeemed_at', 'is', null)
          .where('expires_at', '>', at)
          .returningAll()
          .executeTakeFirst(),
      );
    },
  };
}
