// A database outage: three instances reach PostgreSQL through a TCP proxy of this test's own, which is cut
// for 10 s in the middle of bounded load (the shared cluster other test files use keeps running). During the
// cut every request that needs the database is answered 503 within GATEHOUSE_DATABASE_TIMEOUT (none hangs,
// none gets another 5xx), /healthz answers 503, discovery and the JWKS keep answering from memory; after it
// service comes back by itself, and no acknowledged write is lost (docs/operations.md "Database outages").
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { POOL_MAX } from '../../src/store/kysely/pg-pool.js';
import { killAllStartedChildren } from '../helpers/cli.js';
import { databaseKinds, type TestDatabase } from '../helpers/databases.js';
import { checkDatabase, Cluster, healthzBecomes, newLedger, runLoad, sleep, summary } from '../helpers/fault-load.js';
import { startTcpProxy, type TcpProxy, throughProxy } from '../helpers/tcp-proxy.js';

after(killAllStartedChildren);

const postgres = databaseKinds.find((kind) => kind.name === 'PostgreSQL')!;
const OUTAGE_MS = 10_000;

describe('PostgreSQL unreachable for 10 s under load (three instances)', { skip: postgres.skip }, () => {
  let database: TestDatabase;
  let proxy: TcpProxy;
  let cluster: Cluster;
  before(async () => {
    database = await postgres.create();
    const target = new URL(database.url);
    proxy = await startTcpProxy(target.hostname, Number(target.port || 5432));
    cluster = new Cluster(throughProxy(database.url, proxy), { GATEHOUSE_DATABASE_TIMEOUT: '2' });
    await cluster.start(3);
  });
  after(async () => {
    await cluster?.stop();
    await proxy?.close();
    await database?.drop();
  });

  test('503 during the outage, recovery by itself after it, no acknowledged write lost', async () => {
    const ledger = newLedger();
    const during = { statuses: new Map<number, number>(), health: new Set<number>(), cached: new Set<number>() };
    let over = false;
    const outage = (async () => {
      await sleep(3000);
      proxy.cut();
      const cutAt = Date.now();
      const before = new Map(ledger.statuses);
      // While the database is away: /healthz says so, discovery and the JWKS still answer from memory.
      await sleep(3000);
      for (const instance of cluster.instances) {
        for (const path of ['/healthz', '/.well-known/openid-configuration', '/.well-known/jwks.json']) {
          const answer = await fetch(`${instance.base}${path}`, { signal: AbortSignal.timeout(30_000) });
          (path === '/healthz' ? during.health : during.cached).add(answer.status);
        }
      }
      await sleep(Math.max(0, cutAt + OUTAGE_MS - Date.now()));
      for (const [status, n] of ledger.statuses) during.statuses.set(status, n - (before.get(status) ?? 0));
      proxy.restore();
      const recovery = await Promise.all(cluster.instances.map((instance) => healthzBecomes(instance, 200)));
      console.log(`database back: /healthz 200 on every instance after ${Math.max(...recovery)} ms`);
      over = true;
    })();
    await runLoad(cluster, ledger, { clients: 4, rounds: 6, more: () => !over });
    await outage;
    // After the outage: writes are acknowledged again, on every instance.
    const afterwards = newLedger();
    await runLoad(cluster, afterwards, { clients: 3, rounds: 1 });
    assert.ok(afterwards.signups.length === 3 && afterwards.rotations.length > 0, summary(afterwards));
    for (const key of ['signups', 'managementUsers', 'managementClients', 'consents', 'rotations', 'issued'] as const)
      (ledger[key] as unknown[]).push(...afterwards[key]);
    console.log(
      `during the outage: ${[...during.statuses]
        .filter(([, n]) => n)
        .map(([s, n]) => `${s}×${n}`)
        .join(' ')}`,
    );
    console.log(summary(ledger));
    assert.deepEqual(ledger.faults, [], 'no 5xx but 503, no request without an answer');
    assert.ok((during.statuses.get(503) ?? 0) > 0, 'requests during the outage were answered 503');
    assert.deepEqual([...during.health], [503]);
    assert.deepEqual([...during.cached], [200]);
    await checkDatabase(database.url, ledger);
    // Each instance's pool stayed within its bound through the outage and the burst after it.
    const admin = new pg.Client({ connectionString: database.url });
    await admin.connect();
    const { rows } = await admin.query(
      'select count(*)::int as n from pg_stat_activity where datname = current_database()',
    );
    await admin.end();
    assert.ok(rows[0].n <= cluster.instances.length * POOL_MAX + 1, `${rows[0].n} connections`);
  });
});
