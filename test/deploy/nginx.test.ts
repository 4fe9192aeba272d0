// The shipped deployment: deploy/nginx.conf (its placeholders filled with loopback ports) runs Debian's nginx in
// front of three `gatehouse start` instances on one PostgreSQL database, and a user signs up, signs in and
// redeems a code through it. deploy/compose.yaml cannot run here (no container images can be pulled): it is
// parsed and its services and ports checked. Skips with a message when nginx is not installed, unless
// GATEHOUSE_TEST_REQUIRE_NGINX=1 (CI), where that fails.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { parse } from 'yaml';
import { killAllStartedChildren, repoRoot, waitFor } from '../helpers/cli.js';
import { databaseKinds, type TestDatabase } from '../helpers/databases.js';
import { Cluster, newLedger, runLoad } from '../helpers/fault-load.js';
import { freePort } from '../helpers/server.js';

after(killAllStartedChildren);

const nginx = ['/usr/sbin/nginx', '/usr/bin/nginx'].find((path) => existsSync(path));
if (!nginx && process.env.GATEHOUSE_TEST_REQUIRE_NGINX === '1')
  throw new Error('GATEHOUSE_TEST_REQUIRE_NGINX=1 but nginx is not installed (apt-get install nginx)');
const postgres = databaseKinds.find((kind) => kind.name === 'PostgreSQL')!;
const skip = !nginx ? "nginx tests: install Debian's nginx (apt-get install nginx) to run them" : postgres.skip;

describe('three instances behind nginx with deploy/nginx.conf', { skip }, () => {
  let database: TestDatabase;
  let cluster: Cluster;
  let proxy: ChildProcess | undefined;
  let front: string;
  before(async () => {
    database = await postgres.create();
    const port = await freePort();
    front = `http://127.0.0.1:${port}`;
    // The issuer is nginx's address: the instances are reached only through it.
    cluster = new Cluster(database.url, {}, `${front}/`);
    await cluster.start(3);
    const dir = mkdtempSync(join(tmpdir(), 'gatehouse-nginx-'));
    mkdirSync(join(dir, 'temp'));
    const values: Record<string, string> = {
      NGINX_PID: join(dir, 'nginx.pid'),
      NGINX_ERROR_LOG: join(dir, 'error.log'),
      NGINX_TEMP: join(dir, 'temp'),
      NGINX_LISTEN: `127.0.0.1:${port}`,
      ...Object.fromEntries(
        cluster.instances.map((instance, i) => [`GATEHOUSE_${i + 1}`, `127.0.0.1:${instance.port}`]),
      ),
    };
    const template = readFileSync(join(repoRoot, 'deploy/nginx.conf'), 'utf8');
    const config = template.replace(/\$\{(\w+)\}/g, (_, name: string) => {
      assert.ok(values[name], `no value for \${${name}}`);
      return values[name];
    });
    writeFileSync(join(dir, 'nginx.conf'), config);
    const check = spawnSync(nginx!, ['-t', '-c', join(dir, 'nginx.conf'), '-p', dir], { encoding: 'utf8' });
    assert.equal(check.status, 0, check.stderr);
    proxy = spawn(nginx!, ['-c', join(dir, 'nginx.conf'), '-p', dir, '-g', 'daemon off;'], { stdio: 'ignore' });
    await waitFor(
      'nginx to answer',
      () =>
        fetch(`${front}/healthz`).then(
          (r) => r.status === 200,
          () => false,
        ),
      20_000,
    );
  });
  after(async () => {
    if (proxy && proxy.exitCode === null) {
      const exited = new Promise((resolve) => proxy!.once('exit', resolve));
      proxy.kill('SIGTERM');
      await exited;
    }
    await cluster?.stop();
    await database?.drop();
  });

  test('sign-ups, sign-ins with consent, refresh rotations and Management API writes through nginx', async () => {
    const ledger = newLedger();
    const through = { index: 0, port: Number(new URL(front).port), base: front };
    await runLoad({ instances: [through], issuerUrl: `${front}/` } as unknown as Cluster, ledger, {
      clients: 2,
      rounds: 2,
    });
    assert.deepEqual(ledger.faults, []);
    assert.equal(ledger.signups.length, 4);
    assert.equal(ledger.consents.length, 4);
    assert.equal(ledger.rotations.length, 12);
    assert.equal(ledger.managementClients.length, 4);
    const health = await fetch(`${front}/healthz`);
    assert.equal(health.status, 200);
  });
});

describe('deploy/compose.yaml (syntax and topology only: no container images can be pulled here)', () => {
  test('PostgreSQL, three Gatehouse instances on it, nginx publishing one port in front of them', () => {
    const compose = parse(readFileSync(join(repoRoot, 'deploy/compose.yaml'), 'utf8'), { merge: true });
    const services = compose.services as Record<string, Record<string, unknown>>;
    assert.deepEqual(Object.keys(services).sort(), ['gatehouse-1', 'gatehouse-2', 'gatehouse-3', 'nginx', 'postgres']);
    for (const name of ['gatehouse-1', 'gatehouse-2', 'gatehouse-3']) {
      const env = services[name].environment as Record<string, string>;
      assert.match(env.GATEHOUSE_DATABASE_URL, /^postgres:\/\/.*@postgres:5432\//);
      assert.equal(env.GATEHOUSE_ISSUER, 'http://localhost:8080/');
      assert.equal(services[name].ports, undefined, `${name} is reached only through nginx`);
    }
    assert.deepEqual(services.nginx.ports, ['8080:80']);
    const nginxEnv = services.nginx.environment as Record<string, string>;
    assert.deepEqual(
      [nginxEnv.GATEHOUSE_1, nginxEnv.GATEHOUSE_2, nginxEnv.GATEHOUSE_3],
      ['gatehouse-1:3000', 'gatehouse-2:3000', 'gatehouse-3:3000'],
    );
  });
});
