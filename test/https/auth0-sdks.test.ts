// Auth0's SDKs against `gatehouse start --https` (two workers) as an app configures them for a real tenant:
// `domain: 'localhost:<port>'` and nothing else, no URL rewriting, no issuer override. Each runs in a child
// process that trusts the generated CA only through NODE_EXTRA_CA_CERTS, the line the start prints.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { get } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { ADMIN_ID, ADMIN_SECRET, adminEnv } from '../helpers/admin-api.js';
import { type CliProcess, killAllStartedChildren, spawnCli } from '../helpers/cli.js';
import { forEachDatabase } from '../helpers/each-database.js';
import { PASSWORD, signInTenant, users, webClient } from '../helpers/fixtures.js';
import { freePort, TEST_SECRET, writeTenantFile } from '../helpers/server.js';
import { runSdk } from './https.js';

const OFFLINE_API = 'https://offline.acme.test';
const BACKEND_SECRET = 'backend-secret-0123456789-abcdefghijklmnopqrs';
const PASSPORT_SECRET = 'passport-secret-0123456789-abcdefghijklmnopq';

after(killAllStartedChildren);

function httpsJson(url: string, ca: string): Promise<{ status: number; body: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    get(url, { ca }, (response) => {
      let text = '';
      response.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
      response.on('end', () => resolve({ status: response.statusCode!, body: JSON.parse(text) }));
    }).once('error', reject);
  });
}

forEachDatabase("Auth0's SDKs over the built-in HTTPS", (db) => {
  let cli: CliProcess;
  let port: number;
  let appPort: number;
  let caPath: string;
  let tlsDir: string;
  let domain: string;

  before(async () => {
    [port, appPort] = [await freePort(), await freePort()];
    tlsDir = mkdtempSync(join(tmpdir(), 'gatehouse-tls-'));
    const tenant = signInTenant({
      clients: [
        webClient({
          client_id: 'backend',
          client_secret: BACKEND_SECRET,
          name: 'Backend',
          token_endpoint_auth_method: 'client_secret_post',
          grant_types: ['password', 'refresh_token', 'client_credentials'],
          callbacks: [],
        }),
        // passport-auth0 (node-oauth) sends its secret in the body.
        webClient({
          client_id: 'passport-app',
          client_secret: PASSPORT_SECRET,
          name: 'Passport app',
          token_endpoint_auth_method: 'client_secret_post',
          callbacks: [`http://127.0.0.1:${appPort}/callback`],
        }),
      ],
      resource_servers: [{ identifier: OFFLINE_API, name: 'Offline API', allow_offline_access: true }],
    });
    tenant.resource_servers[tenant.resource_servers.length - 1].scopes = [{ value: 'read:items' }];
    tenant.client_grants = [{ client_id: 'backend', audience: OFFLINE_API, scope: ['read:items'] }];
    tenant.connections.push({ name: 'email', strategy: 'email', enabled_clients: ['backend'] });
    cli = spawnCli(['start', '--https'], {
      GATEHOUSE_PORT: String(port),
      GATEHOUSE_WORKERS: '2',
      GATEHOUSE_DATABASE_URL: db().url,
      GATEHOUSE_SECRET: TEST_SECRET,
      GATEHOUSE_BOOTSTRAP: writeTenantFile(tenant),
      GATEHOUSE_TLS_DIR: tlsDir,
      GATEHOUSE_LOG_LEVEL: 'warn',
      ...adminEnv,
    });
    caPath = (await cli.waitForStdout(/^ {2}Node: +NODE_EXTRA_CA_CERTS=(\S+)$/m))[1];
    domain = `localhost:${port}`;
  });
  after(() => cli?.stop());

  test('the start prints how to trust the CA; the issuer is https; the CA key is readable by its owner only', async () => {
    assert.equal(caPath, join(tlsDir, 'gatehouse-ca.pem'));
    const out = cli.stdout();
    assert.match(out, new RegExp(`issuer: +https://localhost:${port}/\n`));
    assert.ok(out.includes(`curl --cacert ${caPath} https://localhost:${port}/.well-known/openid-configuration`), out);
    assert.match(out, /--ignore-certificate-errors-spki-list=[A-Za-z0-9+/]{43}=/);
    assert.equal(statSync(join(tlsDir, 'gatehouse-ca.key')).mode & 0o777, 0o600);
    assert.equal(statSync(join(tlsDir, 'gatehouse-tls.pem')).mode & 0o777, 0o600);
    const discovery = await httpsJson(
      `https://localhost:${port}/.well-known/openid-configuration`,
      readFileSync(caPath, 'utf8'),
    );
    assert.equal(discovery.status, 200);
    assert.equal(discovery.body.issuer, `https://localhost:${port}/`);
    assert.equal(discovery.body.token_endpoint, `https://localhost:${port}/oauth/token`);
  });

  test('AuthenticationClient: password grant (ID token checked by the SDK), refresh, revocation, client credentials', async () => {
    const result = await runSdk(
      'authentication',
      {
        domain,
        clientId: 'backend',
        clientSecret: BACKEND_SECRET,
        username: users.alice.email,
        password: PASSWORD,
        audience: OFFLINE_API,
      },
      caPath,
    );
    assert.deepEqual(result, {
      idTokenIss: `https://localhost:${port}/`,
      idTokenEmail: users.alice.email,
      refreshedSub: users.alice.user_id,
      machineGty: 'client-credentials',
    });
  });

  test("AuthenticationClient's calls that send e-mail: database sign-up, change password, a passwordless code", async () => {
    const result = await runSdk(
      'database',
      {
        domain,
        clientId: 'backend',
        clientSecret: BACKEND_SECRET,
        username: 'yara@acme.test',
        password: PASSWORD,
        audience: OFFLINE_API,
      },
      caPath,
    );
    assert.deepEqual(result, {
      signedUpEmail: 'yara@acme.test',
      changeStatus: 200,
      passwordlessStatus: 200,
    });
  });

  test('ManagementClient with a client id and secret: it gets its own token, creates and reads a user', async () => {
    const result = await runSdk(
      'management',
      {
        domain,
        clientId: ADMIN_ID,
        clientSecret: ADMIN_SECRET,
        username: 'zoe@acme.test',
        password: PASSWORD,
        audience: '',
      },
      caPath,
    );
    assert.equal(result.email, 'zoe@acme.test');
    assert.equal(typeof result.clientName, 'string');
  });

  test('passport-auth0 with only domain, client and callback: the sign-in ends with the profile; the session cookie is Secure; SameSite=None', async () => {
    const result = await runSdk(
      'passport',
      {
        domain,
        clientId: 'passport-app',
        clientSecret: PASSPORT_SECRET,
        username: users.alice.email,
        password: PASSWORD,
        audience: '',
        appPort,
      },
      caPath,
    );
    assert.equal(result.authorizeOrigin, `https://localhost:${port}`);
    assert.equal(result.callbackStatus, 302, JSON.stringify(result));
    assert.equal(result.callbackLocation, '/profile');
    const profile = result.profile as { id?: string; emails?: { value: string }[] };
    assert.equal(profile.id, users.alice.user_id);
    assert.deepEqual(profile.emails, [{ value: users.alice.email }]);
    const cookies = result.loginCookies as string[];
    assert.ok(cookies.length > 0, 'the login answer sets the session cookie');
    for (const cookie of cookies) {
      assert.match(cookie, /; Secure/i, cookie);
      assert.match(cookie, /; SameSite=None/i, cookie);
    }
  });
});
