// Stores of the sign-in flow: sessions, login transactions, authorization codes, revoked token ids,
// failed-login counters, the page template. Single use is always one atomic statement.
import { sql } from 'kysely';
import type {
  AuthorizationCodeStore, BrandingStore, ConsentStore, CreateTransactionResult, IpThrottleStore, LoginFailureStore, LoginTransactionStore, RevokedTokenStore,
  SessionStore,
} from '../types.js';
import type { Executor } from './db.js';

export function sessionStore(db: Executor): SessionStore {
  return {
    async create(idHash, session) {
      await db.insertInto('sessions').values({ id_hash: idHash, ...session }).execute();
    },
    async get(idHash) {
      return db
        .selectFrom('sessions')
        .select(['sid', 'user_id', 'authenticated_at', 'created_at', 'last_active_at', 'expires_at'])
        .where('id_hash', '=', idHash)
        .executeTakeFirst();
    },
    async touch(idHash, at) {
      await db.updateTable('sessions').set({ last_active_at: at }).where('id_hash', '=', idHash).execute();
    },
    async delete(idHash) {
      await db.deleteFrom('sessions').where('id_hash', '=', idHash).execute();
    },
    async deleteBySid(sid) {
      await db.deleteFrom('sessions').where('sid', '=', sid).execute();
    },
  };
}

/** How many expired transactions (and owner rows) each new transaction deletes: bounded work per request. */
export const SWEEP_BATCH = 100;

export function loginTransactionStore(db: Executor, now: () => number): LoginTransactionStore {
  const columns = ['id', 'client_id', 'request', 'created_at', 'expires_at'] as const;
  const parse = (row: { id: string; client_id: string; request: string; created_at: number; expires_at: number }) => ({
    ...row,
    request: JSON.parse(row.request) as unknown,
  });

  /** An owner's pending transactions: how many, and when the oldest expires. */
  const pending = (tx: Executor, column: 'ip' | 'browser', value: string, at: number) =>
    tx
      .selectFrom('login_transactions')
      .select((eb) => [eb.fn.countAll<number>().as('count'), eb.fn.min('expires_at').as('first')])
      .where(column, '=', value)
      .where('expires_at', '>', at)
      .executeTakeFirstOrThrow();

  /**
   * Deletes at most SWEEP_BATCH expired transactions and owner rows. Every new transaction sweeps, so expired
   * rows are gone soon after they expire, however many there are, without one request deleting them all.
   */
  async function sweep(at: number) {
    await db
      .deleteFrom('login_transactions')
      .where('id', 'in', (eb) => eb.selectFrom('login_transactions').select('id').where('expires_at', '<=', at).limit(SWEEP_BATCH))
      .execute();
    // The expiry is checked again on the row itself: an owner row that a transaction just renewed stays.
    await db
      .deleteFrom('login_transaction_owners')
      .where('expires_at', '<=', at)
      .where('owner', 'in', (eb) => eb.selectFrom('login_transaction_owners').select('owner').where('expires_at', '<=', at).limit(SWEEP_BATCH))
      .execute();
  }

  return {
    async create(transaction, owners, limits) {
      const insert = async (tx: Executor): Promise<CreateTransactionResult> => {
        // The owners' rows first: an upsert takes SQLite's write lock before anything is read (no read-to-write
        // upgrade), and PostgreSQL's row locks, always the network's before the browser's (no deadlock). A
        // parallel request of the same owner waits here, then counts this transaction.
        const keys = [`ip:${owners.ip}`, ...(owners.browser ? [`browser:${owners.browser}`] : [])];
        await tx
          .insertInto('login_transaction_owners')
          .values(keys.map((owner) => ({ owner, expires_at: transaction.expires_at })))
          .onConflict((oc) => oc.column('owner').doUpdateSet({ expires_at: (eb) => eb.ref('excluded.expires_at') }))
          .execute();
        const at = now();
        const byIp = await pending(tx, 'ip', owners.ip, at);
        if (byIp.count >= limits.perIp) return { created: false, retryAt: Number(byIp.first) };
        if (owners.browser) {
          const byBrowser = await pending(tx, 'browser', owners.browser, at);
          if (byBrowser.count >= limits.perBrowser) return { created: false, retryAt: Number(byBrowser.first) };
        }
        await tx
          .insertInto('login_transactions')
          .values({ ...transaction, request: JSON.stringify(transaction.request), ip: owners.ip, browser: owners.browser ?? null })
          .execute();
        return { created: true };
      };
      const result = db.isTransaction ? await insert(db) : await db.transaction().execute(insert);
      // Outside the owners' lock: sweeping is nobody's turn to wait for.
      if (result.created) await sweep(now());
      return result;
    },
    async get(id) {
      const row = await db.selectFrom('login_transactions').select(columns).where('id', '=', id).where('expires_at', '>', now()).executeTakeFirst();
      return row && parse(row);
    },
    async update(id, request) {
      await db.updateTable('login_transactions').set({ request: JSON.stringify(request) }).where('id', '=', id).execute();
    },
    async consume(id) {
      const row = await db
        .deleteFrom('login_transactions')
        .where('id', '=', id)
        .where('expires_at', '>', now())
        .returning(columns)
        .executeTakeFirst();
      return row && parse(row);
    },
  };
}

export function authorizationCodeStore(db: Executor, now: () => number): AuthorizationCodeStore {
  return {
    async insert(code) {
      await db.insertInto('authorization_codes').values(code).execute();
      if (Math.random() < 0.01) {
        // Keep consumed codes for a day, so a late replay is still recognised as one.
        await db.deleteFrom('authorization_codes').where('expires_at', '<', now() - 86_400_000).execute();
      }
    },
    async consume(codeHash, at, issued) {
      return db
        .updateTable('authorization_codes')
        .set({ consumed_at: at, issued_jti: issued.jti, issued_expires_at: issued.expiresAt, issued_family_id: issued.familyId })
        .where('code_hash', '=', codeHash)
        .where('consumed_at', 'is', null)
        .returningAll()
        .executeTakeFirst();
    },
    async markReplayed(codeHash, at) {
      return db
        .updateTable('authorization_codes')
        .set({ replayed_at: sql<number>`COALESCE(replayed_at, ${at})` })
        .where('code_hash', '=', codeHash)
        .where('consumed_at', 'is not', null)
        .returningAll()
        .executeTakeFirst();
    },
    async wasReplayed(codeHash) {
      const row = await db.selectFrom('authorization_codes').select('replayed_at').where('code_hash', '=', codeHash).executeTakeFirst();
      return row !== undefined && row.replayed_at !== null;
    },
    async lockFamilyCode(familyId) {
      const row = await db
        .updateTable('authorization_codes')
        .set({ replayed_at: sql<number | null>`replayed_at` })
        .where('issued_family_id', '=', familyId)
        .returning('replayed_at')
        .executeTakeFirst();
      return { replayed: row !== undefined && row.replayed_at !== null };
    },
    async get(codeHash) {
      return db.selectFrom('authorization_codes').selectAll().where('code_hash', '=', codeHash).executeTakeFirst();
    },
  };
}

export function revokedTokenStore(db: Executor, now: () => number): RevokedTokenStore {
  return {
    async revoke(jti, expiresAt) {
      await db.insertInto('revoked_tokens').values({ jti, expires_at: expiresAt }).onConflict((oc) => oc.column('jti').doNothing()).execute();
      if (Math.random() < 0.01) await db.deleteFrom('revoked_tokens').where('expires_at', '<', now()).execute();
    },
    async isRevoked(jti) {
      return Boolean(await db.selectFrom('revoked_tokens').select('jti').where('jti', '=', jti).executeTakeFirst());
    },
  };
}

export function loginFailureStore(db: Executor): LoginFailureStore {
  return {
    async take(key, at, { max, forgetMs }) {
      // Counts not added to for forgetMs are forgotten, and their rows swept now and then.
      if (Math.random() < 0.01) await db.deleteFrom('login_failures').where('last_failure_at', '<=', at - forgetMs).execute();
      const forgotten = sql<boolean>`login_failures.last_failure_at <= ${at - forgetMs}`;
      // One statement: the row is counted up only while it is under max (or forgotten), and RETURNING says whether it was.
      const row = await db
        .insertInto('login_failures')
        .values({ connection: key.connection, identifier: key.identifier, ip: key.ip, failures: 1, last_failure_at: at })
        .onConflict((oc) =>
          oc
            .columns(['connection', 'identifier', 'ip'])
            .doUpdateSet({ failures: sql<number>`CASE WHEN ${forgotten} THEN 1 ELSE login_failures.failures + 1 END`, last_failure_at: at })
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
  };
}

export function consentStore(db: Executor, now: () => number): ConsentStore {
  return {
    async scopes(userId, clientId, audience) {
      const row = await db
        .selectFrom('consents')
        .select('scope')
        .where('user_id', '=', userId)
        .where('client_id', '=', clientId)
        .where('audience', '=', audience)
        .executeTakeFirst();
      return row ? row.scope.split(' ').filter(Boolean) : [];
    },
    async grant(userId, clientId, audience, scopes) {
      const current = await this.scopes(userId, clientId, audience);
      const scope = [...new Set([...current, ...scopes])].join(' ');
      const at = now();
      await db
        .insertInto('consents')
        .values({ user_id: userId, client_id: clientId, audience, scope, updated_at: at })
        .onConflict((oc) => oc.columns(['user_id', 'client_id', 'audience']).doUpdateSet({ scope, updated_at: at }))
        .execute();
    },
  };
}

export function brandingStore(db: Executor, now: () => number): BrandingStore {
  return {
    async getTemplate() {
      const row = await db.selectFrom('branding_templates').select('body').where('name', '=', 'universal-login').executeTakeFirst();
      return row?.body;
    },
    async putTemplate(body) {
      const values = { name: 'universal-login', body, updated_at: now() };
      await db
        .insertInto('branding_templates')
        .values(values)
        .onConflict((oc) => oc.column('name').doUpdateSet({ body, updated_at: values.updated_at }))
        .execute();
    },
    async deleteTemplate() {
      await db.deleteFrom('branding_templates').where('name', '=', 'universal-login').execute();
    },
  };
}

export function ipThrottleStore(db: Executor): IpThrottleStore {
  return {
    async take(kind, ip, at, { max, leakMs }) {
      // Rows that have leaked back to nothing are swept now and then.
      if (Math.random() < 0.01) await db.deleteFrom('ip_throttles').where('kind', '=', kind).where('updated_at', '<', at - max * leakMs).execute();
      // What is left of the count after leaking since updated_at; DOUBLE PRECISION reads as REAL in SQLite.
      const left = sql<number>`ip_throttles.used - CAST(${at} - ip_throttles.updated_at AS DOUBLE PRECISION) / ${leakMs}`;
      const leaked = sql<number>`CASE WHEN ${left} > 0 THEN ${left} ELSE 0 END`;
      // One statement: the row is updated only while an attempt is left, and RETURNING says whether it was.
      const row = await db
        .insertInto('ip_throttles')
        .values({ kind, ip, used: 1, updated_at: at })
        .onConflict((oc) => oc.columns(['kind', 'ip']).doUpdateSet({ used: sql<number>`${leaked} + 1`, updated_at: at }).where(sql<boolean>`${leaked} <= ${max - 1}`))
        .returning('used')
        .executeTakeFirst();
      return row !== undefined;
    },
    async giveBack(kind, ip) {
      await db.updateTable('ip_throttles').set({ used: sql<number>`CASE WHEN used >= 1 THEN used - 1 ELSE 0 END` }).where('kind', '=', kind).where('ip', '=', ip).execute();
    },
  };
}
