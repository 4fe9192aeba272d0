// The single-use and counting operations under parallel calls, on SQLite and PostgreSQL: 20 calls at once,
// alternating between two stores with connections of their own (two instances on one database; on
// PostgreSQL each store's pool also runs its half concurrently). Each operation is one statement, so
// exactly as many callers win as the operation allows, never more.
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import * as fx from './fixtures.js';
import { forEachStore, type OpenedStore, T0 } from './open-store.js';

const N = 20;
const MINUTE = 60_000;

forEachStore('atomic store operations', (opened, _kind, another) => {
  let pair: [OpenedStore, OpenedStore];
  before(async () => {
    pair = [opened(), await another()];
  });
  /** Runs call(store, i) N times at once, alternating between the two instances. */
  const race = <T>(call: (store: OpenedStore['store'], i: number) => Promise<T>) =>
    Promise.all(Array.from({ length: N }, (_, i) => call(pair[i % 2]!.store, i)));
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
