// The single-use and counting operations under parallel calls, on SQLite and PostgreSQL: 20 calls at once,
// alternating between two stores with connections of their own (two instances on one database; on
// PostgreSQL each store's pool also runs its half concurrently). Each operation is one statement, or (creating a
// login transaction) a transaction that locks its owners' rows first, so exactly as many callers win as the
// operation allows, never more.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { before, test } from 'node:test';
import { Worker } from 'node:worker_threads';
import type { CreateTransactionResult } from '../../src/store/types.js';
import * as fx from './fixtures.js';
import { forEachStore, type OpenedStore, T0 } from './open-store.js';
import type { SecondInstanceData } from './second-instance.js';

const N = 20;
const MINUTE = 60_000;

type CreateArgs = SecondInstanceData['creates'][number];

forEachStore('atomic store operations', (opened, kind, another, db) => {
  let pair: [OpenedStore, OpenedStore];
  before(async () => {
    pair = [opened(), await another()];
  });
  /** Runs call(store, i) N times at once, alternating between the two instances. */
  const race = <T>(call: (store: OpenedStore['store'], i: number) => Promise<T>) =>
    Promise.all(Array.from({ length: N }, (_, i) => call(pair[i % 2]!.store, i)));
  /**
   * The creates at once, alternating between two instances: on PostgreSQL as race does; on SQLite the second
   * instance runs in a worker thread (second-instance.ts says why), released together with this thread's calls.
   */
  async function createAtOnce(creates: CreateArgs[]): Promise<CreateTransactionResult[]> {
    if (kind.name !== 'SQLite') return race((s, i) => s.loginTransactions.create(...creates[i]!));
    const [mine, theirs] = [0, 1].map((half) => creates.filter((_, i) => i % 2 === half));
    const workerData: SecondInstanceData = { url: db().url, now: opened().clock.now, creates: theirs! };
    const worker = new Worker(new URL('./second-instance.js', import.meta.url), { workerData });
    const exited = once(worker, 'exit');
    await once(worker, 'message');
    const answered = once(worker, 'message');
    worker.postMessage('go');
    const own = await Promise.all(mine!.map((args) => store().loginTransactions.create(...args)));
    const [reply] = (await answered) as [{ results?: CreateTransactionResult[]; error?: string }];
    await exited;
    if (!reply.results) throw new Error(`the second instance failed: ${reply.error}`);
    return creates.map((_, i) => (i % 2 === 0 ? own[i / 2]! : reply.results![(i - 1) / 2]!));
  }
  const store = () => opened().store;

  test("codes.consume: exactly one caller gets the code, and the code records that caller's token", async () => {
    const code = fx.authorizationCode();
    await store().codes.insert(code);
    const results = await race((s, i) =>
      s.codes.consume(code.code_hash, T0 + i, { jti: `jti-${i}`, expiresAt: T0 + MINUTE, familyId: `family-${i}` }),
    );
    const winners = results.flatMap((r, i) => (r ? [i] : []));
    assert.equal(winners.length, 1, `winners: ${winners.join(', ')}`);
    const i = winners[0]!;
    assert.deepEqual(await store().codes.get(code.code_hash), {
      ...code,
      consumed_at: T0 + i,
      issued_jti: `jti-${i}`,
      issued_expires_at: T0 + MINUTE,
      issued_family_id: `family-${i}`,
    });
  });

  test('refreshTokens.rotate: exactly one caller rotates the token', async () => {
    const ada = fx.user();
    await store().users.insert(ada);
    const token = fx.refreshToken(ada.user_id);
    await store().refreshTokens.insert(token);
    const results = await race((s, i) => s.refreshTokens.rotate(token.token_hash, T0 + 1 + i));
    const winners = results.flatMap((r, i) => (r ? [i] : []));
    assert.equal(winners.length, 1, `winners: ${winners.join(', ')}`);
    const at = T0 + 1 + winners[0]!;
    assert.deepEqual(await store().refreshTokens.get(token.token_hash), { ...token, rotated_at: at, last_used_at: at });
  });

  test('clientAssertions.remember: exactly one caller may use a jti', async () => {
    const jti = fx.unique('jti');
    const results = await race((s) => s.clientAssertions.remember('web', jti, T0 + MINUTE));
    assert.equal(results.filter(Boolean).length, 1);
  });

  test('loginTransactions.consume: exactly one caller gets the transaction', async () => {
    const now = opened().clock.now;
    const transaction = {
      id: fx.unique('tx'),
      client_id: 'web',
      request: { n: 1 },
      created_at: now,
      expires_at: now + MINUTE,
    };
    await store().loginTransactions.create(transaction, fx.anyOwner, fx.roomyLimits);
    const results = await race((s) => s.loginTransactions.consume(transaction.id));
    const winners = results.filter((r) => r !== undefined);
    assert.equal(winners.length, 1);
    assert.deepEqual(winners[0], transaction);
  });

  test('ipThrottles.take: of 20 parallel attempts against a max of 5 exactly 5 pass; giveBack lets exactly one more in', async () => {
    const policy = { max: 5, leakMs: 60 * MINUTE };
    const ip = '192.0.2.44';
    const at = opened().clock.now;
    const first = await race((s) => s.ipThrottles.take('login', ip, at, policy));
    assert.equal(first.filter(Boolean).length, 5);
    await store().ipThrottles.giveBack('login', ip);
    const second = await race((s) => s.ipThrottles.take('login', ip, at, policy));
    assert.equal(second.filter(Boolean).length, 1);
  });

  test('loginFailures.take: of 20 parallel attempts against a max of 10 exactly 10 pass; after reset exactly 10 again', async () => {
    const policy = { max: 10, forgetMs: 60 * MINUTE };
    const key = { connection: 'Username-Password-Authentication', identifier: fx.unique('ada'), ip: '192.0.2.45' };
    const at = opened().clock.now;
    const first = await race((s, i) => s.loginFailures.take(key, at + i, policy));
    assert.equal(first.filter(Boolean).length, 10);
    assert.equal(await store().loginFailures.take(key, at + N, policy), false);
    await store().loginFailures.reset(key);
    const second = await race((s, i) => s.loginFailures.take(key, at + N + i, policy));
    assert.equal(second.filter(Boolean).length, 10);
  });

  test('loginTransactions.create: of 20 parallel creates for one network with a cap of 6 exactly 6 are stored', async () => {
    const now = opened().clock.now;
    const owner = { ip: fx.unique('net') };
    const limits = { perIp: 6, perBrowser: 1_000 };
    const transactions = Array.from({ length: N }, (_, i) => ({
      id: fx.unique('tx'),
      client_id: 'web',
      request: { i },
      created_at: now,
      expires_at: now + MINUTE + i,
    }));
    const results = await createAtOnce(transactions.map((t) => [t, owner, limits]));
    const created = transactions.filter((_, i) => results[i]!.created);
    assert.equal(created.length, 6);
    const firstExpiry = Math.min(...created.map((t) => t.expires_at));
    for (const r of results) if (!r.created) assert.equal(r.retryAt, firstExpiry);
    for (const [i, t] of transactions.entries())
      assert.deepEqual(await store().loginTransactions.get(t.id), results[i]!.created ? t : undefined);
  });

  test('loginTransactions.create: of 20 parallel creates for one browser from 20 networks with a cap of 4 exactly 4 are stored', async () => {
    const now = opened().clock.now;
    const browser = fx.unique('browser');
    const limits = { perIp: 1_000, perBrowser: 4 };
    const results = await createAtOnce(
      Array.from({ length: N }, () => [
        { id: fx.unique('tx'), client_id: 'web', request: {}, created_at: now, expires_at: now + MINUTE },
        { ip: fx.unique('net'), browser },
        limits,
      ]),
    );
    assert.equal(results.filter((r) => r.created).length, 4);
  });

  test('codes: 20 parallel redemptions, each marking a replay when its consume fails: one consumes, 19 see its tokens', async () => {
    const code = fx.authorizationCode();
    await store().codes.insert(code);
    const results = await race(async (s, i) => {
      const issued = { jti: `jti-${i}`, expiresAt: T0 + MINUTE, familyId: `family-${i}` };
      const won = await s.codes.consume(code.code_hash, T0 + i, issued);
      return won ? { won } : { replay: await s.codes.markReplayed(code.code_hash, T0 + 100 + i) };
    });
    const winners = results.flatMap((r) => (r.won ? [r.won] : []));
    assert.equal(winners.length, 1);
    const stored = await store().codes.get(code.code_hash);
    assert.equal(stored?.issued_jti, winners[0]!.issued_jti);
    assert.ok(stored?.replayed_at !== null && stored!.replayed_at >= T0 + 100, `replayed_at ${stored?.replayed_at}`);
    for (const r of results)
      if (!r.won) assert.deepEqual(r.replay, stored, 'each replay finds the first token and the first replay');
    assert.equal(await store().codes.wasReplayed(code.code_hash), true);
  });

  test('refreshTokens.revokeFamily racing with rotations: every token of the family ends revoked, no other token changes', async () => {
    const ada = fx.user();
    await store().users.insert(ada);
    const family_id = fx.unique('fam');
    const family = Array.from({ length: 10 }, (_, i) =>
      fx.refreshToken(ada.user_id, { family_id, created_at: T0 + i }),
    );
    const revokedBefore = fx.refreshToken(ada.user_id, { family_id, revoked_at: T0 - 1 });
    const strangers = [fx.refreshToken(ada.user_id), fx.refreshToken(ada.user_id, { rotated_at: T0 + 3 })];
    for (const t of [...family, revokedBefore, ...strangers]) await store().refreshTokens.insert(t);

    const revokeAt = T0 + MINUTE;
    await race<unknown>((s, i) =>
      i < family.length
        ? s.refreshTokens.rotate(family[i]!.token_hash, T0 + 30)
        : s.refreshTokens.revokeFamily(family_id, revokeAt),
    );

    for (const t of family) {
      const row = await store().refreshTokens.get(t.token_hash);
      assert.equal(row?.revoked_at, revokeAt, t.token_hash);
    }
    assert.equal(
      (await store().refreshTokens.get(revokedBefore.token_hash))?.revoked_at,
      T0 - 1,
      'an earlier revocation keeps its time',
    );
    for (const t of strangers) assert.deepEqual(await store().refreshTokens.get(t.token_hash), t);
    assert.equal(await store().refreshTokens.activeOfFamily(family_id), undefined);
  });

  test('consents.grant: parallel grants of different scopes keep every scope', async () => {
    const ada = fx.user();
    await store().users.insert(ada);
    await race((s, i) => s.consents.grant(ada.user_id, 'web', 'https://api.example/', [`scope:${i}`]));
    const scopes = await store().consents.scopes(ada.user_id, 'web', 'https://api.example/');
    assert.deepEqual(scopes.sort(), Array.from({ length: N }, (_, i) => `scope:${i}`).sort());
  });
});
