// Pending sign-ins are bounded: every /authorize that needs the login page stores a login transaction for 30
// minutes, so a network (connecting IP) and a browser (its gatehouse_browser cookie) may each have only so
// many pending at once (here 6 and 3); past that the browser gets the 429 error page and nothing is stored.
// A burst cannot overdraw a cap, another network or browser keeps its own, a completed sign-in frees its
// place, expired transactions free theirs and are deleted. Parameters are bounded in size too: an oversized
// state is an error page (it could not be repeated back), any other goes back as invalid_request.
// Other networks are other loopback addresses (Linux routes all of 127/8 to this host).
import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { after, before, test } from 'node:test';
import { openDatabase } from '../../src/store/kysely/db.js';
import { killAllStartedChildren, spawnCli } from '../helpers/cli.js';
import { forEachDatabase } from '../helpers/each-database.js';
import { type RunningGatehouse, startGatehouse } from '../helpers/server.js';
import { type Answer, authorizeUrl, CookieJarClient, pageForm, submitLogin } from '../helpers/http-client.js';
import { CALLBACK, signInTenant, users } from '../helpers/fixtures.js';

const MINUTE = 60_000;
const PER_IP = 6;
const PER_BROWSER = 3;
const base = { client_id: 'web', redirect_uri: CALLBACK, response_type: 'code', scope: 'openid profile' };
const TOO_MANY =
  'Too many sign-ins have been started from this network or browser without being completed. Finish one that is open, or try again later.';

/** GET from another loopback address, optionally with a Cookie header (no cookie jar). */
function getFrom(_server: RunningGatehouse, localAddress: string, target: string, cookie?: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(target, { localAddress, headers: cookie ? { cookie } : {} }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () =>
        resolve({
          status: res.statusCode!,
          headers: new Headers(
            Object.entries(res.headers).flatMap(([k, v]) =>
              typeof v === 'string' ? [[k, v] as [string, string]] : [],
            ),
          ),
          location: res.headers.location,
          setCookies: res.headers['set-cookie'] ?? [],
          text,
        }),
      );
    });
    req.on('error', reject);
    req.end();
  });
}

async function countRows(
  databaseUrl: string,
  table: 'login_transactions' | 'login_transaction_owners',
): Promise<number> {
  const { db } = openDatabase(databaseUrl);
  try {
    const row = await db
      .selectFrom(table)
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    return Number(row.n);
  } finally {
    await db.destroy();
  }
}

function assertTooMany(answer: Answer, retryAfter?: string) {
  assert.equal(answer.status, 429, answer.text);
  assert.equal(answer.location, undefined, 'nothing is redirected');
  assert.match(answer.headers.get('content-type') ?? '', /^text\/html/);
  assert.ok(answer.text.includes(TOO_MANY), answer.text);
  if (retryAfter) assert.equal(answer.headers.get('retry-after'), retryAfter);
}

forEachDatabase('pending sign-ins', (db) => {
  let server: RunningGatehouse;
  let clock = Date.parse('2026-11-25T08:00:00Z');
  const rows = () => countRows(db().url, 'login_transactions');
  const url = (state: string, extra: Record<string, string> = {}) => authorizeUrl(server, { ...base, state, ...extra });
  before(async () => {
    server = await startGatehouse({
      databaseUrl: db().url,
      tenant: signInTenant(),
      now: () => clock,
      env: {
        GATEHOUSE_MAX_PENDING_LOGINS_PER_IP: String(PER_IP),
        GATEHOUSE_MAX_PENDING_LOGINS_PER_BROWSER: String(PER_BROWSER),
      },
    });
  });
  after(() => server?.close());

  const first = new Map<string, string>();
  let b1: CookieJarClient;
  let b2: CookieJarClient;

  test('a browser may have 3 pending sign-ins; the 4th gets the 429 error page with Retry-After and stores nothing', async () => {
    b1 = new CookieJarClient(server);
    for (let i = 0; i < PER_BROWSER; i++) {
      const answer = await b1.get(url(`b1-${i}`));
      assert.equal(answer.status, 302, answer.text);
      assert.match(answer.location ?? '', /^\/u\/login\?state=/);
      if (i === 0) {
        first.set('b1', answer.location!);
        const cookie = answer.setCookies.find((line) => line.startsWith('gatehouse_browser='));
        assert.ok(cookie, answer.setCookies.join('\n'));
        assert.match(cookie, /^gatehouse_browser=[\w-]{43}; Path=\/authorize; HttpOnly; SameSite=Lax$/);
      }
    }
    assertTooMany(await b1.get(url('b1-refused')), String(30 * 60));
    assert.equal(await rows(), PER_BROWSER);
  });

  test('another browser on the network has its own 3, until the network has 6; then every browser of it is refused', async () => {
    b2 = new CookieJarClient(server);
    for (let i = 0; i < PER_BROWSER; i++) assert.equal((await b2.get(url(`b2-${i}`))).status, 302);
    assertTooMany(await new CookieJarClient(server).get(url('b3')));
    assertTooMany(await getFrom(server, '127.0.0.1', url('no-cookies')));
    assert.equal(await rows(), PER_IP);
  });

  test('another network is not affected', async () => {
    const answer = await getFrom(server, '127.0.0.2', url('elsewhere'));
    assert.equal(answer.status, 302, answer.text);
    assert.equal(await rows(), PER_IP + 1);
  });

  test('40 requests at once from one network without cookies: exactly 6 start a sign-in, 34 get 429', async () => {
    const answers = await Promise.all(
      Array.from({ length: 40 }, (_, i) => getFrom(server, '127.0.0.3', url(`burst-${i}`))),
    );
    const statuses = answers.map((a) => a.status);
    assert.equal(statuses.filter((s) => s === 302).length, PER_IP, statuses.join(' '));
    assert.equal(statuses.filter((s) => s === 429).length, 40 - PER_IP, statuses.join(' '));
    assert.equal(await rows(), 2 * PER_IP + 1);
  });

  test('a completed sign-in frees its place: the same browser may start another', async () => {
    const page = await b1.get(first.get('b1')!);
    const posted = await submitLogin(b1, pageForm(page), users.alice.email);
    assert.equal(posted.status, 303, posted.text);
    const back = await b1.follow(posted);
    const callback = new URL(back.location!);
    assert.equal(callback.origin + callback.pathname, CALLBACK);
    assert.ok(callback.searchParams.get('code'));
    assert.equal(callback.searchParams.get('state'), 'b1-0');

    // Signed in now, so /authorize answers at once and stores nothing; prompt=login needs the page again.
    const again = await b1.get(url('b1-again', { prompt: 'login' }));
    assert.equal(again.status, 302, again.text);
    assert.match(again.location ?? '', /^\/u\/login\?state=/);
    assertTooMany(await b1.get(url('b1-one-more', { prompt: 'login' })));
  });

  test('expired sign-ins free the allowance and are deleted', async () => {
    clock += 30 * MINUTE + 1000;
    const answer = await new CookieJarClient(server).get(url('after-expiry'));
    assert.equal(answer.status, 302, answer.text);
    assert.equal(await rows(), 1, 'the expired transactions were deleted by the next one');
    assert.ok(
      (await countRows(db().url, 'login_transaction_owners')) <= 2,
      'and the lock rows of networks and browsers with none pending',
    );
    assert.equal((await b1.get(url('b1-later'))).status, 302);
    assert.equal((await getFrom(server, '127.0.0.3', url('burst-later'))).status, 302);
  });

  test('a malformed browser cookie is not stored: the browser gets a fresh one', async () => {
    const answer = await getFrom(server, '127.0.0.5', url('odd-cookie'), `gatehouse_browser=${'x'.repeat(4000)}`);
    assert.equal(answer.status, 302, answer.text);
    assert.ok(
      answer.setCookies.some((line) => /^gatehouse_browser=[\w-]{43};/.test(line)),
      answer.setCookies.join('\n'),
    );
  });
});

forEachDatabase('parameter sizes at /authorize', (db) => {
  let server: RunningGatehouse;
  before(async () => {
    server = await startGatehouse({ databaseUrl: db().url, tenant: signInTenant() });
  });
  after(() => server?.close());
  const rows = () => countRows(db().url, 'login_transactions');

  test('a state over 2048 characters is an error page, never repeated in a redirect, and stores nothing', async () => {
    const answer = await getFrom(server, '127.0.0.4', authorizeUrl(server, { ...base, state: 's'.repeat(2049) }));
    assert.equal(answer.status, 400, answer.text);
    assert.equal(answer.location, undefined);
    assert.ok(answer.text.includes('Parameter too long: state (at most 2048 characters)'), answer.text);
    assert.equal(await rows(), 0);
  });

  const redirected: [string, string, number][] = [
    ['nonce', 'n', 512],
    ['login_hint', 'h', 320],
    ['scope', 'openid ', 2048],
    ['audience', 'a', 600],
    ['connection', 'c', 128],
    ['prompt', 'login ', 64],
    ['screen_hint', 'signup', 64],
    ['response_type', 'code ', 64],
  ];
  for (const [name, unit, max] of redirected) {
    test(`${name} over ${max} characters: invalid_request at the redirect URI, with state and without the value`, async () => {
      const value = unit.repeat(Math.ceil((max + 1) / unit.length)).slice(0, max + 1);
      const answer = await getFrom(server, '127.0.0.4', authorizeUrl(server, { ...base, state: 'st', [name]: value }));
      assert.equal(answer.status, 302, answer.text);
      const location = new URL(answer.location!);
      assert.equal(location.origin + location.pathname, CALLBACK);
      assert.deepEqual(Object.fromEntries(location.searchParams), {
        error: 'invalid_request',
        error_description: `Parameter too long: ${name} (at most ${max} characters)`,
        state: 'st',
        iss: server.issuer,
      });
      assert.equal(await rows(), 0);
    });
  }

  test('state, nonce and login_hint at their limits start a sign-in', async () => {
    const params = {
      ...base,
      state: 's'.repeat(2048),
      nonce: 'n'.repeat(512),
      login_hint: `${'h'.repeat(309)}@acme.test`,
    };
    const answer = await getFrom(server, '127.0.0.4', authorizeUrl(server, params));
    assert.equal(answer.status, 302, answer.text);
    assert.match(answer.location ?? '', /^\/u\/login\?state=/);
    assert.equal(await rows(), 1);
  });
});

test('a cap of 0 (variable or flag) stops `gatehouse start` with one clear line', async () => {
  after(killAllStartedChildren);
  const byVariable = spawnCli(['start'], {
    GATEHOUSE_DATABASE_URL: 'sqlite:./data/never-opened.db',
    GATEHOUSE_MAX_PENDING_LOGINS_PER_IP: '0',
  });
  assert.equal((await byVariable.exited).code, 1);
  assert.equal(
    byVariable.stderr(),
    'gatehouse: GATEHOUSE_MAX_PENDING_LOGINS_PER_IP must be a whole number from 1 to 1000000, got "0"\n',
  );
  const byFlag = spawnCli(['start', '--max-pending-logins-per-browser=0'], {
    GATEHOUSE_DATABASE_URL: 'sqlite:./data/never-opened.db',
  });
  assert.equal((await byFlag.exited).code, 1);
  assert.equal(
    byFlag.stderr(),
    'gatehouse: GATEHOUSE_MAX_PENDING_LOGINS_PER_BROWSER must be a whole number from 1 to 1000000, got "0"\n',
  );
});
