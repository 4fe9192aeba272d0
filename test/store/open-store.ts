// Opens the real store (openDatabase + migrate + createStore) on each test database, with a clock the
// test moves by hand, so timestamps are exact and expiry can be reached without waiting.
import { after, before } from 'node:test';
import { type Connection, migrate, openDatabase } from '../../src/store/kysely/db.js';
import { createStore } from '../../src/store/kysely/index.js';
import type { Store } from '../../src/store/types.js';
import { forEachDatabase } from '../helpers/each-database.js';
import type { DatabaseKind, TestDatabase } from '../helpers/databases.js';

/** Epoch milliseconds past 2^31, so a bigint column read back as a string or cut to 32 bits shows. */
export const T0 = 1_750_000_000_123;

export interface TestClock {
  now: number;
  advance(ms: number): number;
}

export function testClock(start = T0): TestClock {
  return {
    now: start,
    advance(ms) {
      this.now += ms;
      return this.now;
    },
  };
}

export interface OpenedStore {
  store: Store;
  connection: Connection;
  clock: TestClock;
}

/** A migrated store on the database at url. Each call opens its own connection (its own pool on PostgreSQL). */
export async function openStore(url: string, clock: TestClock = testClock()): Promise<OpenedStore> {
  const connection = openDatabase(url);
  await migrate(connection);
  return { store: createStore(connection, () => clock.now), connection, clock };
}

/**
 * forEachDatabase with a migrated store opened before the suite's tests (and closed after): `opened()` gives
 * it, `another()` a second store on the same database and clock, through a connection of its own (a second
 * instance of Gatehouse, as far as the database can tell).
 */
export function forEachStore(
  title: string,
  body: (
    opened: () => OpenedStore,
    kind: DatabaseKind,
    another: () => Promise<OpenedStore>,
    db: () => TestDatabase,
  ) => void,
) {
  forEachDatabase(title, (db, kind) => {
    let current: OpenedStore | undefined;
    const extra: OpenedStore[] = [];
    before(async () => {
      current = await openStore(db().url);
    });
    after(async () => {
      for (const s of [...extra, current]) await s?.store.close();
    });
    const opened = () => {
      if (!current) throw new Error('store not opened yet: call opened() inside a hook or test');
      return current;
    };
    const another = async () => {
      const s = await openStore(db().url, opened().clock);
      extra.push(s);
      return s;
    };
    body(opened, kind, another, db);
  });
}
