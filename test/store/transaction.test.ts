// Store-wide contract on SQLite and PostgreSQL: transaction(lock, fn) commits all of fn's writes or none,
// a named lock bumps changeVersion() (what other instances' caches compare) and, on PostgreSQL, makes a
// second transaction with the same lock wait for the first to commit; ping() reaches the database;
// probeWrite() really writes, and fails while the database cannot be written; listenForChanges() hears every
// other instance's locked commit on PostgreSQL (and only those), and makes its connection again when it is cut.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { type Kysely, sql } from 'kysely';
import type { Database } from '../../src/store/kysely/schema.js';
import * as fx from './fixtures.js';
import { openDatabase } from '../../src/store/kysely/db.js';
import { createStore } from '../../src/store/kysely/index.js';
import { forEachStore, openStore, T0 } from './open-store.js';
import { waitFor } from '../helpers/cli.js';

/** Resolves once some backend of this database waits for a lock (PostgreSQL), within a generous bound. */
async function someoneWaitsForALock(db: Kysely<Database>): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const { rows } = await sql<{ n: number }>`
      select count(*)::int as n from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'`.execute(
      db,
    );
    if (rows[0]!.n > 0) return;
    await sleep(50);
  }
  throw new Error('no transaction waited for the lock within 10 seconds');
}

function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

forEachStore('store transactions', (opened, kind, another, db) => {
  const store = () => opened().store;

  test('transaction: commits every write and returns what fn returns; fn reads its own writes', async () => {
    const web = fx.client();
    const api = fx.resourceServer();
    const seen = await store().transaction(null, async (tx) => {
      await tx.clients.insert(web);
      await tx.resourceServers.insert(api);
      await tx.clientGrants.insert(fx.clientGrant(web.client_id, api.identifier));
      return tx.clients.get(web.client_id);
    });
    assert.deepEqual(seen, web);
    assert.deepEqual(await store().clients.get(web.client_id), web);
    assert.deepEqual(await store().resourceServers.getByIdentifier(api.identifier), api);
    assert.equal((await store().clientGrants.find(web.client_id, api.identifier))?.audience, api.identifier);
  });

  for (const lock of [null, 'tenant', 'signing_keys'] as const) {
    test(`transaction(${lock}): a throw inside writes nothing and rejects with that error`, async () => {
      const existing = fx.client();
      await store().clients.insert(existing);
      const added = fx.client();
      const key = fx.signingKey();
      const failure = new Error('stop here');
      await assert.rejects(
        store().transaction(lock, async (tx) => {
          await tx.clients.insert(added);
          await tx.clients.update(existing.client_id, { name: 'Changed' });
          await tx.signingKeys.insert(key);
          await tx.tenant.put({ friendly_name: 'Half-written' });
          throw failure;
        }),
        (error) => error === failure,
      );
      assert.equal(await store().clients.get(added.client_id), undefined);
      assert.deepEqual(await store().clients.get(existing.client_id), existing);
      assert.equal(
        (await store().signingKeys.list()).find((k) => k.kid === key.kid),
        undefined,
      );
      assert.notEqual((await store().tenant.get()).friendly_name, 'Half-written');
    });
  }

  test('changeVersion: a locked transaction changes it, for every instance; one without a lock does not', async () => {
    const other = await another();
    const start = await store().changeVersion();
    assert.equal(typeof start, 'string');
    await store().transaction(null, (tx) => tx.tenant.put({ friendly_name: 'No lock' }));
    assert.equal(await store().changeVersion(), start);

    await store().transaction('tenant', (tx) => tx.tenant.put({ friendly_name: 'Locked' }));
    const afterTenant = await store().changeVersion();
    assert.notEqual(afterTenant, start);
    assert.equal(await other.store.changeVersion(), afterTenant);

    await other.store.transaction('signing_keys', async () => {});
    const afterKeys = await store().changeVersion();
    assert.notEqual(afterKeys, afterTenant);
    assert.notEqual(afterKeys, start);
  });

  test('listenForChanges: a locked transaction of another instance notifies once it commits; a rollback or no lock does not', async (t) => {
    if (kind.name === 'SQLite') {
      // One machine: nothing is sent, the counters are compared instead; the listener is there and closes.
      const listener = store().listenForChanges({ onChange: () => assert.fail('SQLite sends no notifications') });
      await listener.ready;
      await store().transaction('tenant', (tx) => tx.tenant.put({ friendly_name: 'SQLite' }));
      await listener.close();
      return;
    }
    let changes = 0;
    const listener = store().listenForChanges({ onChange: () => changes++ });
    t.after(() => listener.close());
    await listener.ready;
    // The first connection counts as a change (whatever was sent before it listened was missed).
    assert.equal(changes, 1);
    const other = await another();
    const waitForChanges = (n: number) =>
      waitFor(`${n} notifications`, () => changes >= n, 10_000).then(() => assert.equal(changes, n));

    const committed = deferred();
    const writing = other.store.transaction('tenant', async (tx) => {
      await tx.tenant.put({ friendly_name: 'Notified' });
      await committed.promise;
    });
    // Held until the commit: give it time to arrive if it were sent at once, then commit.
    await sleep(300);
    assert.equal(changes, 1, 'a notification arrived before the transaction committed');
    committed.resolve();
    await writing;
    await waitForChanges(2);

    // PostgreSQL delivers notifications in commit order: once the last write's has come, an earlier one would have.
    await assert.rejects(
      other.store.transaction('tenant', async (tx) => {
        await tx.tenant.put({ friendly_name: 'Rolled back' });
        throw new Error('roll back');
      }),
      /roll back/,
    );
    await other.store.transaction(null, (tx) => tx.tenant.put({ friendly_name: 'No lock' }));
    await other.store.transaction('signing_keys', async () => {});
    await waitForChanges(3);
  });

  test('listenForChanges: a listening connection that is cut is reported and made again, then notified as before', async (t) => {
    if (kind.name === 'SQLite') return;
    let changes = 0;
    const lost: unknown[] = [];
    const listener = store().listenForChanges({ onChange: () => changes++, onLost: (error) => lost.push(error) });
    t.after(() => listener.close());
    await listener.ready;
    const listening = () =>
      sql<{ pid: number }>`
        select pid from pg_stat_activity where datname = current_database() and query ilike 'listen %'`.execute(
        opened().connection.db,
      );
    const [before] = (await listening()).rows;
    assert.ok(before, 'no listening connection');
    await sql`select pg_terminate_backend(${before.pid})`.execute(opened().connection.db);
    await waitFor('the loss to be reported', () => lost.length > 0);
    // Reconnected: a change may have been missed meanwhile, so that counts as one.
    await waitFor('the listener to reconnect', () => changes >= 2);
    const [after] = (await listening()).rows;
    assert.ok(after && after.pid !== before.pid, 'no new listening connection');
    await (await another()).store.transaction('tenant', async () => {});
    await waitFor('a notification on the new connection', () => changes >= 3);

    await listener.close();
    await waitFor('the listening connection to close', async () => (await listening()).rows.length === 0);
  });

  test('ping: resolves on an open store, rejects once it is closed', async () => {
    const own = await openStore(db().url);
    await own.store.ping();
    await own.store.close();
    await assert.rejects(own.store.ping());
  });

  test('probeWrite: rewrites its one row with 256 KiB of fresh data each time', async () => {
    const probe = () => opened().connection.db.selectFrom('write_probe').select(['id', 'data']).execute();
    await store().probeWrite();
    const [first] = await probe();
    await store().probeWrite();
    const rows = await probe();
    assert.equal(rows.length, 1);
    assert.equal(first!.data.length, 256 * 1024);
    assert.equal(rows[0]!.data.length, 256 * 1024);
    assert.notEqual(rows[0]!.data, first!.data);
  });

  test('probeWrite: rejects while the database cannot be written', async () => {
    if (kind.name === 'SQLite') {
      // query_only on the store's one connection: SQLite refuses every write as on a read-only file.
      const own = await openStore(db().url);
      try {
        await sql`pragma query_only = on`.execute(own.connection.db);
        await assert.rejects(own.store.probeWrite(), /readonly/);
        await sql`pragma query_only = off`.execute(own.connection.db);
        await own.store.probeWrite();
      } finally {
        await own.store.close();
      }
      return;
    }
    // A pool whose sessions start every transaction read-only (as on a hot standby).
    const url = new URL(db().url);
    url.searchParams.set('options', '-c default_transaction_read_only=on');
    const readOnly = createStore(openDatabase(url.toString()));
    try {
      await assert.rejects(readOnly.probeWrite(), /read-only/);
    } finally {
      await readOnly.close();
    }
    await store().probeWrite();
  });

  // On SQLite the write lock is the file's: one process's connections wait in better-sqlite3's synchronous
  // busy handler, so two transactions of one process cannot be interleaved to observe it.
  // These two run on PostgreSQL only.
  const pgOnly = kind.name === 'PostgreSQL' ? test : () => {};
  pgOnly('transaction(lock): a second instance taking the same lock waits until the first commits', async () => {
    const other = await another();
    const order: string[] = [];
    const { promise: held, resolve: release } = deferred();
    const { promise: locked, resolve: hasLocked } = deferred();
    const first = store().transaction('tenant', async (tx) => {
      await tx.tenant.put({ friendly_name: 'first' });
      order.push('first locked');
      hasLocked();
      await held;
      order.push('first commits');
    });
    await Promise.race([locked, first]);
    const second = other.store.transaction('tenant', async (tx) => {
      order.push('second locked');
      return (await tx.tenant.get()).friendly_name;
    });
    try {
      await someoneWaitsForALock(opened().connection.db);
      assert.deepEqual(order, ['first locked']);
    } finally {
      release();
      await first;
    }
    assert.equal(await second, 'first');
    assert.deepEqual(order, ['first locked', 'first commits', 'second locked']);
  });

  pgOnly('refreshTokens.lock: a second transaction locking the same token waits until the first commits', async () => {
    const other = await another();
    const ada = fx.user();
    await store().users.insert(ada);
    const token = fx.refreshToken(ada.user_id);
    await store().refreshTokens.insert(token);
    const order: string[] = [];
    const { promise: held, resolve: release } = deferred();
    const { promise: locked, resolve: hasLocked } = deferred();
    const first = store().transaction(null, async (tx) => {
      await tx.refreshTokens.lock(token.token_hash);
      order.push('first locked');
      hasLocked();
      await held;
      await tx.refreshTokens.rotate(token.token_hash, token.created_at + 1);
      order.push('first commits');
    });
    await Promise.race([locked, first]);
    const second = other.store.transaction(null, async (tx) => {
      await tx.refreshTokens.lock(token.token_hash);
      order.push('second locked');
      return tx.refreshTokens.get(token.token_hash);
    });
    try {
      await someoneWaitsForALock(opened().connection.db);
      assert.deepEqual(order, ['first locked']);
    } finally {
      release();
      await first;
    }
    assert.equal((await second)?.rotated_at, token.created_at + 1, 'the second reads what the first committed');
    assert.deepEqual(order, ['first locked', 'first commits', 'second locked']);
  });
  pgOnly('codes.lockFamilyCode: a replay marking the code waits until the locking transaction commits', async () => {
    const other = await another();
    const code = fx.authorizationCode();
    await store().codes.insert(code);
    const familyId = fx.unique('fam');
    await store().codes.consume(code.code_hash, T0 + 1, { jti: 'j', expiresAt: T0 + 2, familyId });
    const order: string[] = [];
    const { promise: held, resolve: release } = deferred();
    const { promise: locked, resolve: hasLocked } = deferred();
    const first = store().transaction(null, async (tx) => {
      const seen = await tx.codes.lockFamilyCode(familyId);
      order.push('refresh locked');
      hasLocked();
      await held;
      order.push('refresh commits');
      return seen;
    });
    await Promise.race([locked, first]);
    const replay = other.store.codes.markReplayed(code.code_hash, T0 + 3).then((r) => {
      order.push('replay marked');
      return r;
    });
    try {
      await someoneWaitsForALock(opened().connection.db);
      assert.deepEqual(order, ['refresh locked']);
    } finally {
      release();
    }
    assert.deepEqual(await first, { replayed: false });
    assert.equal((await replay)?.replayed_at, T0 + 3);
    assert.deepEqual(order, ['refresh locked', 'refresh commits', 'replay marked']);
    assert.deepEqual(await store().transaction(null, (tx) => tx.codes.lockFamilyCode(familyId)), { replayed: true });
  });
});
