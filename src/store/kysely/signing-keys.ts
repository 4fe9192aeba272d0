import type { Selectable } from 'kysely';
import type { SigningKey, SigningKeyStore } from '../types.js';
import type { Executor } from './db.js';
import type { SigningKeyTable } from './schema.js';

function fromRow(row: Selectable<SigningKeyTable>): SigningKey {
  const { public_jwk, private_jwk, ...rest } = row;
  return {
    ...rest,
    alg: row.alg as SigningKey['alg'],
    status: row.status as SigningKey['status'],
    public_jwk: JSON.parse(public_jwk),
    sealed_private_jwk: private_jwk,
  };
}

export function signingKeyStore(db: Executor): SigningKeyStore {
  return {
    async listPublished() {
      const rows = await db
        .selectFrom('signing_keys')
        .selectAll()
        .where('status', '!=', 'revoked')
        .orderBy('created_at')
        .orderBy('kid')
        .execute();
      return rows.map(fromRow);
    },
    async list() {
      const rows = await db.selectFrom('signing_keys').selectAll().orderBy('created_at').orderBy('kid').execute();
      return rows.map(fromRow);
    },
    async insert(key) {
      const { public_jwk, sealed_private_jwk, ...rest } = key;
      await db
        .insertInto('signing_keys')
        .values({ ...rest, public_jwk: JSON.stringify(public_jwk), private_jwk: sealed_private_jwk })
        .execute();
    },
    async setStatus(kid, status, at) {
      const stamp =
        status === 'current'
          ? { current_since: at }
          : status === 'previous'
            ? { previous_since: at }
            : status === 'revoked'
              ? { revoked_at: at }
              : {};
      await db
        .updateTable('signing_keys')
        .set({ status, ...stamp })
        .where('kid', '=', kid)
        .execute();
    },
    async setCertificate(kid, certificate) {
      const result = await db
        .updateTable('signing_keys')
        .set({ certificate })
        .where('kid', '=', kid)
        .where('certificate', 'is', null)
        .executeTakeFirst();
      return result.numUpdatedRows > 0n;
    },
  };
}
