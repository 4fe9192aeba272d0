// GATEHOUSE_TRUST_PROXY decides whose X-Forwarded-For names the client address that brute-force protection
// counts (Auth0 docs: "Brute-force protection": 10 failures for one e-mail from one IP block it from that IP).
// From a trusted proxy the header's address is counted, so one client's failures do not block the others behind
// the same proxy; from any other peer the header is ignored and the peer's own address is counted, so a fresh
// header on each guess does not escape the count. Over HTTP on both databases; requests come from several
// loopback addresses (Linux routes all of 127/8 to this host). The blocks show in /metrics.
import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { after, before, test } from 'node:test';
import { forEachDatabase } from '../helpers/each-database.js';
import { type RunningGatehouse, startGatehouse } from '../helpers/server.js';
import { DB, PASSWORD, tenant, user, webClient } from '../helpers/fixtures.js';

const PASSWORD_REALM = 'http://auth0.com/oauth/grant-type/password-realm';
const SECRET = 'backend-secret-0123456789-abcdefghijklmnopqrstu';
const METRICS_TOKEN = 'metrics-token-0123456789-abcdefghijklmnop';
const PROXY = '127.0.0.2';

/** POST /oauth/token (password-realm grant) from a loopback address, with extra headers. */
function signIn(server: RunningGatehouse, localAddress: string, email: string, password: string, forwardedFor: string) {
  const body = new URLSearchParams({
    client_id: 'backend',
    client_secret: SECRET,
    grant_type: PASSWORD_REALM,
    realm: DB,
    username: email,
    password,
  });
  const headers = { 'content-type': 'application/x-www-form-urlencoded', 'x-forwarded-for': forwardedFor };
  return new Promise<number>((resolve, reject) => {
    const req = httpRequest(server.url('/oauth/token'), { method: 'POST', localAddress, headers }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode!));
    });
    req.on('error', reject);
    req.end(body.toString());
  });
}

async function failTenTimes(
  server: RunningGatehouse,
  from: string,
  email: string,
  forwardedFor: (i: number) => string,
) {
  for (let i = 0; i < 10; i++) assert.equal(await signIn(server, from, email, `wrong-${i}`, forwardedFor(i)), 403);
}

forEachDatabase('GATEHOUSE_TRUST_PROXY and brute-force protection', (db) => {
  let server: RunningGatehouse;
  before(async () => {
    server = await startGatehouse({
      databaseUrl: db().url,
      env: { GATEHOUSE_TRUST_PROXY: `${PROXY},192.0.2.0/24`, GATEHOUSE_METRICS_TOKEN: METRICS_TOKEN },
      tenant: tenant({
        resource_servers: [],
        clients: [
          webClient({
            client_id: 'backend',
            client_secret: SECRET,
            name: 'backend',
            token_endpoint_auth_method: 'client_secret_post',
            grant_types: ['password', PASSWORD_REALM],
            callbacks: [],
          }),
        ],
        users: ['alice', 'bob'].map((name) => user(name, { user_id: name })),
      }),
    });
  });
  after(() => server?.close());

  test("behind the trusted proxy the forwarded address is counted: the blocked client's neighbour still signs in", async () => {
    await failTenTimes(server, PROXY, 'alice@acme.test', () => '198.51.100.1');
    assert.equal(await signIn(server, PROXY, 'alice@acme.test', PASSWORD, '198.51.100.1'), 429);
    assert.equal(await signIn(server, PROXY, 'alice@acme.test', PASSWORD, '198.51.100.2'), 200);
  });

  test('from an untrusted peer X-Forwarded-For is ignored: a new address per guess is still one count', async () => {
    await failTenTimes(server, '127.0.0.3', 'bob@acme.test', (i) => `203.0.113.${i + 1}`);
    assert.equal(await signIn(server, '127.0.0.3', 'bob@acme.test', PASSWORD, '203.0.113.200'), 429);
    // The addresses it named were never counted.
    assert.equal(await signIn(server, PROXY, 'bob@acme.test', PASSWORD, '203.0.113.1'), 200);
  });

  test('the blocks are counted in /metrics', async () => {
    const answer = await fetch(server.url('/metrics'), { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
    const text = await answer.text();
    assert.match(text, /^gatehouse_http_throttled_total\{route="\/oauth\/token"\} 2$/m);
    assert.match(text, /^gatehouse_audit_events_total\{type="limit_wc"\} 2$/m);
  });
});
