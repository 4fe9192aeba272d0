// docs/examples/testing/, run as its GitHub Actions job runs it: one `gatehouse start --test --https` with the
// example's tenant file, then each example suite in a child process that trusts Gatehouse's local CA through
// NODE_EXTRA_CA_CERTS alone (the path the start prints) and knows Gatehouse only as AUTH0_DOMAIN. The suites
// reset the tenant before each test. The tenant file's app port (8080) becomes a free one on this shared machine.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { browserSkip, CHROMIUM_PATH } from '../helpers/chromium.js';
import { type CliProcess, killAllStartedChildren, spawnCli } from '../helpers/cli.js';
import { freePort } from '../helpers/server.js';
import { EXAMPLES_DIR, type ExampleRun, runExample } from './run-example.js';

const ADMIN = {
  GATEHOUSE_ADMIN_CLIENT_ID: 'example-admin',
  GATEHOUSE_ADMIN_CLIENT_SECRET: 'example-admin-secret-0123456789abcdefghij',
};
const work = mkdtempSync(join(tmpdir(), 'gatehouse-examples-'));
let cli: CliProcess;
let env: Record<string, string>;

before(async () => {
  const [port, appPort] = [await freePort(), await freePort()];
  const tenant = readFileSync(join(EXAMPLES_DIR, 'tenant.json'), 'utf8').replaceAll(
    'localhost:8080',
    `localhost:${appPort}`,
  );
  writeFileSync(join(work, 'tenant.json'), tenant);
  cli = spawnCli(['start', '--test', '--https', '--port', String(port), '--bootstrap', join(work, 'tenant.json')], {
    GATEHOUSE_TLS_DIR: join(work, 'tls'),
    GATEHOUSE_LOG_LEVEL: 'warn',
    ...ADMIN,
  });
  const [, caPath] = await cli.waitForStdout(/^ {2}Node: +NODE_EXTRA_CA_CERTS=(\S+)$/m);
  env = {
    NODE_EXTRA_CA_CERTS: caPath,
    AUTH0_DOMAIN: `localhost:${port}`,
    APP_PORT: String(appPort),
    CHROME_PATH: CHROMIUM_PATH,
    ...ADMIN,
  };
});
after(async () => {
  await cli?.stop();
  killAllStartedChildren();
  rmSync(work, { recursive: true, force: true });
});

function assertPassed(run: ExampleRun, tests: number): void {
  assert.equal(run.code, 0, run.output);
  assert.deepEqual([run.counts.pass, run.counts.fail, run.counts.skipped], [tests, 0, 0], run.output);
}

test('test/login.test.mjs: Playwright signs a user in to the auth0-spa-js app through the login page', {
  skip: browserSkip,
}, async () => {
  assertPassed(await runExample('test/login.test.mjs', env), 2);
});

test('test/auth0-sdk.test.mjs: AuthenticationClient and ManagementClient over https; the e-mails they send are in the outbox', async () => {
  assertPassed(await runExample('test/auth0-sdk.test.mjs', env), 4);
});

test('test/api.test.mjs: the express-oauth2-jwt-bearer API: 401 without a token, 403 without the scope, expiry by the test clock', async () => {
  assertPassed(await runExample('test/api.test.mjs', env), 4);
});
