// Contract of the sign-in stores (sessions, authorization codes and their replays, revoked token ids, consents,
// client assertion jtis, refresh tokens, IP throttles, and consume of login transactions) on SQLite and
// PostgreSQL, one call at a time; atomic.test.ts fires the single-use operations in parallel, and
// login-limits.test.ts covers login failures and the rest of login transactions.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as fx from './fixtures.js';
import { forEachStore, T0 } from './open-store.js';

const MINUTE = 60_000;

forEachStore('sign-in stores', (opened) => {
  const store = () => opened().store;
  const clock = () => opened().clock;
  async function insertedUser() {
    const u = fx.user();
    await store().users.insert(u);
    return u;
  }

  test('sessions: round trip by id hash; touch moves last_active_at only; unknown gives undefined', async () => {
    const ada = await insertedUser();
    const session = fx.session(ada.user_id);
    const other = fx.session(ada.user_id);
    await store().sessions.create('hash-1', session);
    await store().sessions.create('hash-2', other);
    assert.deepEqual(await store().sessions.get('hash-1'), session);
    assert.equal(await store().sessions.get('no-such-hash'), undefined);
    await store().sessions.touch('hash-1', T0 + 9 * MINUTE);
    assert.deepEqual(await store().sessions.get('hash-1'), { ...session, last_active_at: T0 + 9 * MINUTE });
    assert.deepEqual(await store().sessions.get('hash-2'), other);
  });

  test('sessions: delete removes by id hash, deleteBySid by public sid, each only its own', async () => {
    const ada = await insertedUser();
    const [a, b, c] = [fx.session(ada.user_id), fx.session(ada.user_id), fx.session(ada.user_id)];
    await store().sessions.create('del-a', a);
    await store().sessions.create('del-b', b);
    await store().sessions.create('del-c', c);
    await store().sessions.delete('del-a');
    await store().sessions.deleteBySid(b.sid);
    assert.equal(await store().sessions.get('del-a'), undefined);
    assert.equal(await store().sessions.get('del-b'), undefined);
    assert.deepEqual(await store().sessions.get('del-c'), c);
  });

  test('authorization codes: round trip with and without the optional fields; unknown gives undefined', async () => {
    const full = fx.authorizationCode();
    const bare = fx.authorizationCode({
      audience: null,
      nonce: null,
      code_challenge: null,
      code_challenge_method: null,
      sid: null,
    });
    await store().codes.insert(full);
    await store().codes.insert(bare);
    assert.deepEqual(await store().codes.get(full.code_hash), full);
    assert.deepEqual(await store().codes.get(bare.code_hash), bare);
    assert.equal(await store().codes.get('no-such-code'), undefined);
  });

  test('authorization codes: consume returns the code marked consumed with the issued token; the second gets nothing', async () => {
    const code = fx.authorizationCode();
    await store().codes.insert(code);
    const consumed = {
      ...code,
      consumed_at: T0 + 1000,
      issued_jti: 'jti-1',
      issued_expires_at: T0 + 3_600_000,
      issued_family_id: 'family-1',
    };
    assert.deepEqual(
      await store().codes.consume(code.code_hash, T0 + 1000, {
        jti: 'jti-1',
        expiresAt: T0 + 3_600_000,
        familyId: 'family-1',
      }),
      consumed,
    );
    assert.equal(
      await store().codes.consume(code.code_hash, T0 + 2000, {
        jti: 'jti-2',
        expiresAt: T0 + 3_600_000,
        familyId: 'family-1',
      }),
      undefined,
    );
    // A replay finds the first token's id, to revoke it.
    assert.deepEqual(await store().codes.get(code.code_hash), consumed);
    assert.equal(
      await store().codes.consume('no-such-code', T0, { jti: 'x', expiresAt: T0, familyId: 'family-1' }),
      undefined,
    );
  });

  test('authorization codes: markReplayed marks a consumed code once and returns it with what was issued', async () => {
    const code = fx.authorizationCode();
    const other = fx.authorizationCode();
    await store().codes.insert(code);
    await store().codes.insert(other);
    const issued = { jti: 'jti-r', expiresAt: T0 + 3_600_000, familyId: fx.unique('fam') };
    const consumed = await store().codes.consume(code.code_hash, T0 + 1000, issued);
    assert.equal(await store().codes.wasReplayed(code.code_hash), false);
    const replayed = { ...consumed, replayed_at: T0 + 2000 };
    assert.deepEqual(await store().codes.markReplayed(code.code_hash, T0 + 2000), replayed);
    assert.equal(await store().codes.wasReplayed(code.code_hash), true);
    // A later replay finds the same code and keeps the first replay's time.
    assert.deepEqual(await store().codes.markReplayed(code.code_hash, T0 + 3000), replayed);
    assert.deepEqual(await store().codes.get(code.code_hash), replayed);
    assert.equal(await store().codes.wasReplayed(other.code_hash), false, 'another code is untouched');
    assert.deepEqual(await store().codes.get(other.code_hash), other);
  });

  test('authorization codes: markReplayed gives nothing for an unknown or unspent code; wasReplayed is false for them', async () => {
    const unspent = fx.authorizationCode();
    await store().codes.insert(unspent);
    assert.equal(await store().codes.markReplayed('no-such-code', T0), undefined);
    assert.equal(await store().codes.markReplayed(unspent.code_hash, T0), undefined);
    assert.equal(await store().codes.wasReplayed('no-such-code'), false);
    assert.equal(await store().codes.wasReplayed(unspent.code_hash), false);
    assert.deepEqual(await store().codes.get(unspent.code_hash), unspent);
  });

  test('authorization codes: lockFamilyCode says whether the code a family came from was replayed, and changes nothing', async () => {
    const code = fx.authorizationCode();
    await store().codes.insert(code);
    const familyId = fx.unique('fam');
    const consumed = await store().codes.consume(code.code_hash, T0 + 1000, { jti: 'j', expiresAt: T0, familyId });
    const lock = (family: string) => store().transaction(null, (tx) => tx.codes.lockFamilyCode(family));
    assert.deepEqual(await lock(familyId), { replayed: false });
    assert.deepEqual(await store().codes.get(code.code_hash), consumed);
    assert.deepEqual(await lock('family-from-no-code'), { replayed: false });
    await store().codes.markReplayed(code.code_hash, T0 + 2000);
    assert.deepEqual(await lock(familyId), { replayed: true });
    assert.deepEqual(await store().codes.get(code.code_hash), { ...consumed, replayed_at: T0 + 2000 });
  });

  test('revoked tokens: unknown jti is not revoked; revoke marks it, twice is the same', async () => {
    assert.equal(await store().revokedTokens.isRevoked('jti-a'), false);
    await store().revokedTokens.revoke('jti-a', T0 + MINUTE);
    await store().revokedTokens.revoke('jti-a', T0 + 2 * MINUTE);
    assert.equal(await store().revokedTokens.isRevoked('jti-a'), true);
    assert.equal(await store().revokedTokens.isRevoked('jti-b'), false);
  });

  test('consents: none at first; grant adds to what was accepted, per user, client and audience', async () => {
    const ada = await insertedUser();
    const bob = await insertedUser();
    const api = 'https://api.example/';
    assert.deepEqual(await store().consents.scopes(ada.user_id, 'web', api), []);
    await store().consents.grant(ada.user_id, 'web', api, ['read:orders', 'openid']);
    await store().consents.grant(ada.user_id, 'web', api, ['openid', 'write:orders']);
    await store().consents.grant(ada.user_id, 'web', '', ['profile']);
    assert.deepEqual((await store().consents.scopes(ada.user_id, 'web', api)).sort(), [
      'openid',
      'read:orders',
      'write:orders',
    ]);
    assert.deepEqual(await store().consents.scopes(ada.user_id, 'web', ''), ['profile']);
    assert.deepEqual(await store().consents.scopes(ada.user_id, 'other-client', api), []);
    assert.deepEqual(await store().consents.scopes(bob.user_id, 'web', api), []);
    await store().consents.grant(bob.user_id, 'web', api, []);
    assert.deepEqual(await store().consents.scopes(bob.user_id, 'web', api), []);
  });

  test('client assertions: a jti is accepted once per client', async () => {
    assert.equal(await store().clientAssertions.remember('web', 'jti-1', T0 + MINUTE), true);
    assert.equal(await store().clientAssertions.remember('web', 'jti-1', T0 + MINUTE), false);
    assert.equal(await store().clientAssertions.remember('other', 'jti-1', T0 + MINUTE), true);
    assert.equal(await store().clientAssertions.remember('web', 'jti-2', T0 + MINUTE), true);
  });

  test('refresh tokens: round trip with and without the optional fields; unknown gives undefined', async () => {
    const ada = await insertedUser();
    const full = fx.refreshToken(ada.user_id, { parent_hash: 'parent', rotated_at: T0 + 1, revoked_at: T0 + 2 });
    const bare = fx.refreshToken(ada.user_id, { audience: null, sid: null });
    await store().refreshTokens.insert(full);
    await store().refreshTokens.insert(bare);
    assert.deepEqual(await store().refreshTokens.get(full.token_hash), full);
    assert.deepEqual(await store().refreshTokens.get(bare.token_hash), bare);
    assert.equal(await store().refreshTokens.get('no-such-token'), undefined);
  });

  test('refresh tokens: rotate marks an active token once; revoked and unknown tokens do not rotate', async () => {
    const ada = await insertedUser();
    const token = fx.refreshToken(ada.user_id);
    const revoked = fx.refreshToken(ada.user_id, { revoked_at: T0 + 5 });
    await store().refreshTokens.insert(token);
    await store().refreshTokens.insert(revoked);
    const rotated = { ...token, rotated_at: T0 + MINUTE, last_used_at: T0 + MINUTE };
    assert.deepEqual(await store().refreshTokens.rotate(token.token_hash, T0 + MINUTE), rotated);
    assert.equal(await store().refreshTokens.rotate(token.token_hash, T0 + 2 * MINUTE), undefined);
    assert.deepEqual(await store().refreshTokens.get(token.token_hash), rotated);
    assert.equal(await store().refreshTokens.rotate(revoked.token_hash, T0 + MINUTE), undefined);
    assert.deepEqual(await store().refreshTokens.get(revoked.token_hash), revoked);
    assert.equal(await store().refreshTokens.rotate('no-such-token', T0), undefined);
  });

  test('refresh tokens: touch moves last_used_at; revoke stamps once and keeps the first time', async () => {
    const ada = await insertedUser();
    const token = fx.refreshToken(ada.user_id);
    const other = fx.refreshToken(ada.user_id, { family_id: token.family_id });
    await store().refreshTokens.insert(token);
    await store().refreshTokens.insert(other);
    await store().refreshTokens.touch(token.token_hash, T0 + MINUTE);
    assert.deepEqual(await store().refreshTokens.get(token.token_hash), { ...token, last_used_at: T0 + MINUTE });
    await store().refreshTokens.revoke(token.token_hash, T0 + 2 * MINUTE);
    await store().refreshTokens.revoke(token.token_hash, T0 + 3 * MINUTE);
    assert.deepEqual(await store().refreshTokens.get(token.token_hash), {
      ...token,
      last_used_at: T0 + MINUTE,
      revoked_at: T0 + 2 * MINUTE,
    });
    assert.deepEqual(await store().refreshTokens.get(other.token_hash), other);
  });

  test('refresh tokens: activeOfFamily is the newest token neither rotated nor revoked', async () => {
    const ada = await insertedUser();
    const family_id = fx.unique('fam');
    const first = fx.refreshToken(ada.user_id, { family_id, created_at: T0, rotated_at: T0 + 10 });
    const second = fx.refreshToken(ada.user_id, { family_id, created_at: T0 + 10, parent_hash: first.token_hash });
    const older = fx.refreshToken(ada.user_id, { family_id, created_at: T0 + 5 });
    const stranger = fx.refreshToken(ada.user_id, { created_at: T0 + 20 });
    for (const t of [first, second, older, stranger]) await store().refreshTokens.insert(t);
    assert.deepEqual(await store().refreshTokens.activeOfFamily(family_id), second);
    await store().refreshTokens.revoke(second.token_hash, T0 + 30);
    assert.deepEqual(await store().refreshTokens.activeOfFamily(family_id), older);
    await store().refreshTokens.rotate(older.token_hash, T0 + 40);
    assert.equal(await store().refreshTokens.activeOfFamily(family_id), undefined);
    assert.equal(await store().refreshTokens.activeOfFamily('no-such-family'), undefined);
  });

  test('refresh tokens: lock inside a transaction leaves the row as it was', async () => {
    const ada = await insertedUser();
    const token = fx.refreshToken(ada.user_id, { revoked_at: null });
    await store().refreshTokens.insert(token);
    const seen = await store().transaction(null, async (tx) => {
      await tx.refreshTokens.lock(token.token_hash);
      return tx.refreshTokens.get(token.token_hash);
    });
    assert.deepEqual(seen, token);
    assert.deepEqual(await store().refreshTokens.get(token.token_hash), token);
  });

  test('ip throttles: max attempts per kind and IP, one back per leakMs, giveBack returns one', async () => {
    const policy = { max: 3, leakMs: 10 * MINUTE };
    const take = (kind = 'signup', ip = '203.0.113.7') => store().ipThrottles.take(kind, ip, clock().now, policy);
    clock().advance(MINUTE);
    assert.deepEqual([await take(), await take(), await take(), await take()], [true, true, true, false]);
    // Another kind and another IP have their own allowance.
    assert.equal(await take('login'), true);
    assert.equal(await take('signup', '203.0.113.8'), true);

    clock().advance(policy.leakMs - 1);
    assert.equal(await take(), false, 'nothing leaked back before leakMs');
    clock().advance(1);
    assert.deepEqual([await take(), await take()], [true, false]);

    await store().ipThrottles.giveBack('signup', '203.0.113.7');
    assert.deepEqual([await take(), await take()], [true, false]);
    clock().advance(policy.max * policy.leakMs);
    assert.deepEqual([await take(), await take(), await take(), await take()], [true, true, true, false]);
  });

  test('ip throttles: giveBack never goes below a full allowance', async () => {
    const policy = { max: 2, leakMs: 10 * MINUTE };
    const ip = '198.51.100.9';
    await store().ipThrottles.take('login', ip, clock().now, policy);
    for (let i = 0; i < 3; i++) await store().ipThrottles.giveBack('login', ip);
    await store().ipThrottles.giveBack('login', '198.51.100.10');
    const taken = [];
    for (let i = 0; i < 3; i++) taken.push(await store().ipThrottles.take('login', ip, clock().now, policy));
    assert.deepEqual(taken, [true, true, false]);
  });

  test('login transactions: consume returns the transaction once, and nothing once it expired', async () => {
    const request = { client_id: 'web', scope: ['openid'], nested: { prompt: null, max_age: 0, ok: true } };
    const live = {
      id: fx.unique('tx'),
      client_id: 'web',
      request,
      created_at: clock().now,
      expires_at: clock().now + 10 * MINUTE,
    };
    const expiring = { ...live, id: fx.unique('tx'), expires_at: clock().now + MINUTE };
    await store().loginTransactions.create(live, fx.anyOwner, fx.roomyLimits);
    await store().loginTransactions.create(expiring, fx.anyOwner, fx.roomyLimits);
    assert.deepEqual(await store().loginTransactions.consume(live.id), live);
    assert.equal(await store().loginTransactions.consume(live.id), undefined);
    clock().advance(MINUTE);
    assert.equal(await store().loginTransactions.consume(expiring.id), undefined);
    assert.equal(await store().loginTransactions.consume('no-such-transaction'), undefined);
  });
});
