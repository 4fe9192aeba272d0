// Contract of the stores that bound sign-in attempts, on SQLite and PostgreSQL, one call at a time: failed
// logins per connection, identifier and IP (brute-force protection), and login transactions (stored
// /authorize requests) with their caps per network and per browser and the bounded sweep of expired ones.
// atomic.test.ts fires take and create in parallel.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SWEEP_BATCH } from '../../src/store/kysely/login-transactions.js';
import type { LoginTransaction } from '../../src/store/types.js';
import * as fx from './fixtures.js';
import { forEachStore } from './open-store.js';

const MINUTE = 60_000;

forEachStore('sign-in limit stores', (opened) => {
  const store = () => opened().store;
  const clock = () => opened().clock;
  const db = () => opened().connection.db;

  /** A transaction created now that expires `expiresIn` from now. */
  const transaction = (expiresIn = 10 * MINUTE): LoginTransaction => ({
    id: fx.unique('tx'),
    client_id: 'web',
    request: { scope: ['openid'], nested: { prompt: null, max_age: 0, ok: true } },
    created_at: clock().now,
    expires_at: clock().now + expiresIn,
  });
  /** A network of its own (the store takes owners as given). */
  const ip = () => fx.unique('net');
  const countRows = async (table: 'login_transactions' | 'login_transaction_owners', expired: boolean) => {
    const row = await db()
      .selectFrom(table)
      .select((eb) => eb.fn.countAll<number | string>().as('n'))
      .where('expires_at', expired ? '<=' : '>', clock().now)
      .executeTakeFirstOrThrow();
    return Number(row.n);
  };

  // ---- login failures ----

  const policy = { max: 3, forgetMs: 30 * MINUTE };
  const failureKey = () => ({
    connection: 'Username-Password-Authentication',
    identifier: fx.unique('ada'),
    ip: '192.0.2.9',
  });
  const takes = async (key: ReturnType<typeof failureKey>, n: number, at = clock().now) => {
    const results: boolean[] = [];
    for (let i = 0; i < n; i++) results.push(await store().loginFailures.take(key, at, policy));
    return results;
  };

  test('login failures: take allows exactly max attempts per key, then refuses', async () => {
    const key = failureKey();
    assert.deepEqual(await takes(key, 5), [true, true, true, false, false]);
  });

  test('login failures: a block lasts until forgetMs after the last counted failure; refused attempts do not extend it', async () => {
    const key = failureKey();
    const first = clock().now;
    await takes(key, 1, first);
    const last = first + 5 * MINUTE;
    assert.deepEqual(await takes(key, 2, last), [true, true]);
    // Refused attempts in between are not counted, so the block still ends forgetMs after `last`.
    assert.deepEqual(await takes(key, 1, last + policy.forgetMs / 2), [false]);
    assert.deepEqual(await takes(key, 1, last + policy.forgetMs - 1), [false]);
    // Then the count starts over: max attempts again.
    assert.deepEqual(await takes(key, 4, last + policy.forgetMs), [true, true, true, false]);
  });

  test('login failures: a count not added to for forgetMs starts over, even under max', async () => {
    const key = failureKey();
    const at = clock().now;
    assert.deepEqual(await takes(key, 2, at), [true, true]);
    assert.deepEqual(await takes(key, 1, at + policy.forgetMs - 1), [true]);
    // Three counted now: the third renewed the count, so it is not forgotten forgetMs after the first two.
    assert.deepEqual(await takes(key, 1, at + policy.forgetMs), [false]);
    const restart = at + policy.forgetMs - 1 + policy.forgetMs;
    assert.deepEqual(await takes(key, 4, restart), [true, true, true, false]);
  });

  test('login failures: reset forgets the key, and only that key', async () => {
    const key = failureKey();
    const neighbour = { ...key, ip: '192.0.2.10' };
    await takes(key, 3);
    await takes(neighbour, 3);
    await store().loginFailures.reset(key);
    assert.deepEqual(await takes(key, 4), [true, true, true, false]);
    assert.deepEqual(await takes(neighbour, 1), [false]);
    // Resetting a key that has no count does nothing.
    await store().loginFailures.reset(failureKey());
  });

  test('login failures: keys differing by connection, identifier or IP are counted apart', async () => {
    const key = failureKey();
    assert.deepEqual(await takes(key, 4), [true, true, true, false]);
    for (const other of [
      { ...key, connection: 'other-connection' },
      { ...key, identifier: `${key.identifier}.org` },
      { ...key, ip: '2001:db8::/64' },
    ]) {
      assert.deepEqual(await takes(other, 4), [true, true, true, false], JSON.stringify(other));
    }
    assert.deepEqual(await takes(key, 1), [false]);
  });

  // ---- login transactions ----

  test('login transactions: get returns the stored transaction until it expires; unknown gives undefined', async () => {
    const live = transaction(10 * MINUTE);
    const short = transaction(MINUTE);
    assert.deepEqual(await store().loginTransactions.create(live, fx.anyOwner, fx.roomyLimits), { created: true });
    assert.deepEqual(await store().loginTransactions.create(short, fx.anyOwner, fx.roomyLimits), { created: true });
    assert.deepEqual(await store().loginTransactions.get(live.id), live);
    assert.deepEqual(await store().loginTransactions.get(live.id), live, 'get does not consume');
    assert.deepEqual(await store().loginTransactions.get(short.id), short);
    clock().advance(MINUTE - 1);
    assert.deepEqual(await store().loginTransactions.get(short.id), short);
    clock().advance(1);
    assert.equal(await store().loginTransactions.get(short.id), undefined, 'expired at expires_at');
    assert.deepEqual(await store().loginTransactions.get(live.id), live);
    assert.equal(await store().loginTransactions.get('no-such-transaction'), undefined);
  });

  test('login transactions: update replaces the request only, of that transaction; consume returns the update', async () => {
    const a = transaction();
    const b = transaction();
    await store().loginTransactions.create(a, fx.anyOwner, fx.roomyLimits);
    await store().loginTransactions.create(b, fx.anyOwner, fx.roomyLimits);
    const consented = { scope: ['openid', 'profile'], consent: { granted: true, at: clock().now } };
    await store().loginTransactions.update(a.id, consented);
    assert.deepEqual(await store().loginTransactions.get(a.id), { ...a, request: consented });
    assert.deepEqual(await store().loginTransactions.get(b.id), b);
    await store().loginTransactions.update('no-such-transaction', consented);
    assert.equal(await store().loginTransactions.get('no-such-transaction'), undefined);
    assert.deepEqual(await store().loginTransactions.consume(a.id), { ...a, request: consented });
  });

  test('login transactions: create refuses past the per-IP cap, with retryAt when its oldest pending one expires', async () => {
    const owner = { ip: ip() };
    const limits = { perIp: 3, perBrowser: 100 };
    const txs = [transaction(10 * MINUTE), transaction(4 * MINUTE), transaction(7 * MINUTE)];
    for (const t of txs) assert.deepEqual(await store().loginTransactions.create(t, owner, limits), { created: true });
    const refused = transaction();
    assert.deepEqual(await store().loginTransactions.create(refused, owner, limits), {
      created: false,
      retryAt: txs[1]!.expires_at,
    });
    assert.equal(await store().loginTransactions.get(refused.id), undefined, 'a refused transaction is not stored');
    // Another network has its own allowance.
    assert.deepEqual(await store().loginTransactions.create(transaction(), { ip: ip() }, limits), { created: true });
    // A consumed transaction is no longer pending.
    await store().loginTransactions.consume(txs[0]!.id);
    assert.deepEqual(await store().loginTransactions.create(refused, owner, limits), { created: true });
    assert.deepEqual(await store().loginTransactions.get(refused.id), refused);
  });

  test('login transactions: expired ones do not count against the cap', async () => {
    const owner = { ip: ip() };
    const limits = { perIp: 2, perBrowser: 100 };
    const soon = transaction(MINUTE);
    const later = transaction(5 * MINUTE);
    await store().loginTransactions.create(soon, owner, limits);
    await store().loginTransactions.create(later, owner, limits);
    clock().advance(MINUTE - 1);
    assert.deepEqual(await store().loginTransactions.create(transaction(), owner, limits), {
      created: false,
      retryAt: soon.expires_at,
    });
    clock().advance(1);
    assert.deepEqual(await store().loginTransactions.create(transaction(), owner, limits), { created: true });
    assert.deepEqual(await store().loginTransactions.create(transaction(), owner, limits), {
      created: false,
      retryAt: later.expires_at,
    });
  });

  test('login transactions: create refuses past the per-browser cap across networks, with the browser retryAt', async () => {
    const browser = fx.unique('browser-hash');
    const limits = { perIp: 100, perBrowser: 2 };
    const first = transaction(6 * MINUTE);
    const second = transaction(3 * MINUTE);
    assert.deepEqual(await store().loginTransactions.create(first, { ip: ip(), browser }, limits), { created: true });
    assert.deepEqual(await store().loginTransactions.create(second, { ip: ip(), browser }, limits), { created: true });
    const third = transaction();
    assert.deepEqual(await store().loginTransactions.create(third, { ip: ip(), browser }, limits), {
      created: false,
      retryAt: second.expires_at,
    });
    assert.equal(await store().loginTransactions.get(third.id), undefined);
    // Without a browser cookie, and from another browser, only the network counts.
    assert.deepEqual(await store().loginTransactions.create(transaction(), { ip: ip() }, limits), { created: true });
    const otherBrowser = { ip: ip(), browser: fx.unique('browser-hash') };
    assert.deepEqual(await store().loginTransactions.create(transaction(), otherBrowser, limits), { created: true });
  });

  test('login transactions: when both caps are reached the network is the one reported', async () => {
    const owner = { ip: ip(), browser: fx.unique('browser-hash') };
    const limits = { perIp: 2, perBrowser: 2 };
    const byIp = transaction(2 * MINUTE);
    const byBrowser = transaction(MINUTE);
    await store().loginTransactions.create(byIp, { ip: owner.ip }, limits);
    await store().loginTransactions.create(byBrowser, { ip: ip(), browser: owner.browser }, limits);
    await store().loginTransactions.create(transaction(9 * MINUTE), owner, limits);
    assert.deepEqual(await store().loginTransactions.create(transaction(), owner, limits), {
      created: false,
      retryAt: byIp.expires_at,
    });
    // Under the network's cap, the browser's oldest is what to wait for.
    assert.deepEqual(await store().loginTransactions.create(transaction(), { ...owner, ip: ip() }, limits), {
      created: false,
      retryAt: byBrowser.expires_at,
    });
  });

  test('login transactions: create inside a store transaction is part of it', async () => {
    const kept = transaction();
    const dropped = transaction();
    await store().transaction(null, (tx) => tx.loginTransactions.create(kept, fx.anyOwner, fx.roomyLimits));
    await assert.rejects(
      store().transaction(null, async (tx) => {
        await tx.loginTransactions.create(dropped, fx.anyOwner, fx.roomyLimits);
        throw new Error('roll back');
      }),
    );
    assert.deepEqual(await store().loginTransactions.get(kept.id), kept);
    assert.equal(await store().loginTransactions.get(dropped.id), undefined);
  });

  test('login transactions: each create deletes at most one batch of expired transactions and owner rows', async () => {
    // Expired rows from earlier tests are counted too: the sweep takes any expired rows, whichever they are.
    const batches = 2;
    for (let i = 0; i < batches * SWEEP_BATCH + 10; i++) {
      await store().loginTransactions.create(transaction(MINUTE), { ip: ip() }, fx.roomyLimits);
    }
    clock().advance(MINUTE);
    const live = transaction(60 * MINUTE);
    let liveOwner = 0;
    for (let round = 0; round <= batches + 1; round++) {
      const [transactions, owners] = [
        await countRows('login_transactions', true),
        await countRows('login_transaction_owners', true),
      ];
      assert.ok(round > 0 || transactions >= batches * SWEEP_BATCH + 10, `expired transactions: ${transactions}`);
      assert.ok(round > 0 || owners >= batches * SWEEP_BATCH + 10, `expired owner rows: ${owners}`);
      const pending = await countRows('login_transactions', false);
      await store().loginTransactions.create({ ...live, id: fx.unique('tx') }, { ip: `live-${round}` }, fx.roomyLimits);
      liveOwner++;
      assert.equal(
        await countRows('login_transactions', true),
        Math.max(0, transactions - SWEEP_BATCH),
        `round ${round}`,
      );
      assert.equal(await countRows('login_transactions', false), pending + 1, 'pending ones stay');
      assert.equal(
        await countRows('login_transaction_owners', true),
        Math.max(0, owners - SWEEP_BATCH),
        `round ${round}`,
      );
    }
    assert.ok((await countRows('login_transaction_owners', false)) >= liveOwner, 'live owners stay');
  });
});
