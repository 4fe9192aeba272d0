// Crash safety: three instances (one worker each) on one PostgreSQL database take bounded load (sign-ups,
// consents, code redemptions, refresh-token rotations, Management API writes) while one of them is killed
// with SIGKILL every few seconds and started again. Afterwards every acknowledged write is in the database
// exactly once and whole: 0 lost, 0 doubled, 0 half-written (docs/operations.md "Crash safety").
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { killAllStartedChildren } from '../helpers/cli.js';
import { databaseKinds, type TestDatabase } from '../helpers/databases.js';
import { checkDatabase, Cluster, newLedger, runLoad, sleep, summary } from '../helpers/fault-load.js';

after(killAllStartedChildren);

const postgres = databaseKinds.find((kind) => kind.name === 'PostgreSQL')!;

describe('SIGKILL under load (PostgreSQL, three instances)', { skip: postgres.skip }, () => {
  let database: TestDatabase;
  let cluster: Cluster;
  before(async () => {
    database = await postgres.create();
    cluster = new Cluster(database.url);
    await cluster.start(3);
  });
  after(async () => {
    await cluster?.stop();
    await database?.drop();
  });

  test('every acknowledged write survives the kills exactly once', async () => {
    const ledger = newLedger();
    let loading = true;
    let kills = 0;
    // One instance at a time is killed and started again while the load runs; the others keep serving.
    const killer = (async () => {
      for (let turn = 0; loading; turn++) {
        await sleep(2000);
        if (!loading) break;
        const victim = cluster.instances[turn % cluster.instances.length];
        await cluster.kill(victim);
        kills++;
        await sleep(300);
        await cluster.launch(victim);
      }
    })();
    try {
      // Bounded: the rounds go on until four kills happened (each restart takes a few seconds), then stop.
      await runLoad(cluster, ledger, { clients: 4, rounds: 4, more: () => kills < 4 });
    } finally {
      loading = false;
      await killer;
    }
    console.log(`${kills} kills; ${summary(ledger)}`);
    assert.ok(kills >= 4, `only ${kills} kills during the load`);
    assert.deepEqual(ledger.faults, []);
    assert.ok(ledger.signups.length > 0 && ledger.rotations.length > 0 && ledger.managementClients.length > 0);
    const { checked } = await checkDatabase(database.url, ledger);
    console.log(`${checked} acknowledged writes found exactly once`);
  });
});
