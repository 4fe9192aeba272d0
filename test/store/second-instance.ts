// A second instance of the store in a worker thread, for the parallel tests of operations that hold SQLite's
// write lock across awaits (a transaction): in the test's own thread, a second connection would wait for that
// lock in better-sqlite3's synchronous busy handler and so block the event loop the first one needs to commit.
// In a thread of its own it waits as another process would. Creates login transactions as it is told, once the
// test says go, and posts back what each create returned.
import { parentPort, workerData } from 'node:worker_threads';
import { openDatabase } from '../../src/store/kysely/db.js';
import { createStore } from '../../src/store/kysely/index.js';
import type { LoginTransaction, PendingLoginLimits, TransactionOwners } from '../../src/store/types.js';

export interface SecondInstanceData {
  url: string;
  now: number;
  creates: [LoginTransaction, TransactionOwners, PendingLoginLimits][];
}

const { url, now, creates } = workerData as SecondInstanceData;
const store = createStore(openDatabase(url), () => now);
parentPort!.once('message', async () => {
  try {
    const results = await Promise.all(creates.map((args) => store.loginTransactions.create(...args)));
    parentPort!.postMessage({ results });
  } catch (error) {
    parentPort!.postMessage({ error: String(error) });
  } finally {
    await store.close();
  }
});
await store.ping();
parentPort!.postMessage('ready');
