// PostgreSQL cuts a connection that a transaction holds between two of its queries (a failover, an operator's
// pg_terminate_backend): the transaction fails, the process goes on, and the next query runs on a new connection.
// (node-postgres emits an `error` on a checked-out client with no query running; without a listener that is an
// uncaught exception, which would take a whole worker down.)
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { databaseKinds, type TestDatabase } from '../helpers/databases.js';
import { type OpenedStore, openStore } from './open-store.js';

const postgres = databaseKinds.find((kind) => kind.name === 'PostgreSQL')!;

describe('a connection lost inside a transaction on PostgreSQL', { skip: postgres.skip }, () => {
  let database: TestDatabase;
  let opened: OpenedStore;

  before(async () => {
    database = await postgres.create();
    opened = await openStore(database.url);
  });
  after(async () => {
    await opened?.store.close();
    await database?.drop();
  });

  test('the transaction fails, nothing crashes, the next query works', async () => {
    const { store } = opened;
    const admin = new pg.Client({ connectionString: database.url });
    await admin.connect();
    try {
      const failed = await store
        .transaction(null, async (tx) => {
          await tx.tenant.get();
          // The connection this transaction holds is ended between two of its queries.
          const { rows } = await admin.query(
            'select pg_terminate_backend(pid) from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()',
          );
          assert.ok(rows.length >= 1);
          await new Promise((resolve) => setTimeout(resolve, 300));
          await tx.tenant.get();
        })
        .then(
          () => false,
          () => true,
        );
      assert.equal(failed, true, 'the transaction cannot have committed on a lost connection');
      assert.deepEqual(typeof (await store.tenant.get()), 'object', 'a new connection serves the next query');
    } finally {
      await admin.end();
    }
  });
});
