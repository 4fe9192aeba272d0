// The Express API of api/server.mjs, called with tokens Gatehouse issues: a machine's (client credentials) and a
// user's (the password grant). The last test moves Gatehouse's clock a day on; it only ever goes forward, and
// nothing in the other files depends on where it stands.
import assert from 'node:assert/strict';
import { after, before, beforeEach, test } from 'node:test';
import { createApi } from '../api/server.mjs';
import { API, advanceClock, BACKEND, clock, createUser, issuer, reset, token } from './gatehouse.mjs';

/** The access tokens' lifetime, the API's token_lifetime in tenant.json. */
const DAY = 86400;

let server;
let api;

before(async () => {
  server = createApi({ issuerBaseURL: issuer }).listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  api = `http://127.0.0.1:${server.address().port}`;
});
after(() => server?.close());
beforeEach(reset);

const machineToken = async () =>
  (await token({ grant_type: 'client_credentials', ...BACKEND, audience: API })).access_token;
const get = (accessToken) =>
  fetch(`${api}/items`, { headers: accessToken ? { authorization: `Bearer ${accessToken}` } : {} });

test('without a token: 401', async () => {
  const response = await get();
  assert.equal(response.status, 401);
  assert.match(response.headers.get('www-authenticate'), /^Bearer realm="api"/);
});

test('a machine token (client credentials, granted read:items): it reads; it may not write (403)', async () => {
  const accessToken = await machineToken();
  assert.equal((await get(accessToken)).status, 200);
  const write = await fetch(`${api}/items`, { method: 'POST', headers: { authorization: `Bearer ${accessToken}` } });
  assert.equal(write.status, 403);
  assert.match(write.headers.get('www-authenticate'), /error="insufficient_scope"/);
});

test("a user's token (the password grant): the API sees the user", async () => {
  const user = await createUser('grace@example.test', 'Correct-Horse-Battery-9');
  const { access_token } = await token({
    grant_type: 'password',
    ...BACKEND,
    username: 'grace@example.test',
    password: 'Correct-Horse-Battery-9',
    audience: API,
    scope: 'openid read:items',
  });
  const response = await get(access_token);
  assert.equal(response.status, 200);
  assert.equal((await response.json()).sub, user.user_id);
});

// The API checks `exp` against its own clock, not Gatehouse's: move both. Node's mock timers set this process's
// Date (the API runs in it) to Gatehouse's time, then move it as POST /test/clock moves Gatehouse's.
test('a day later an old token is refused (401) and a new one accepted', async (t) => {
  t.mock.timers.enable({ apis: ['Date'], now: (await clock()).now_ms });
  const old = await machineToken();
  t.mock.timers.tick((DAY + 60) * 1000);
  await advanceClock(DAY + 60);

  const refused = await get(old);
  assert.equal(refused.status, 401);
  assert.match(refused.headers.get('www-authenticate'), /error="invalid_token"/);
  assert.equal((await get(await machineToken())).status, 200);
});
