// Brute-force protection on the login page (Auth0 "Brute-force protection"), over HTTP on both databases:
// 10 failed logins for one e-mail from one IP block it for that IP, even under a burst of parallel guesses,
// whether or not the e-mail belongs to an account (the answers cannot tell the two apart), for 30 days; blocks
// counted before the upgrade that keyed the counts by identifier still hold after it.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Migrator, sql } from 'kysely';
import { openDatabase } from '../../src/store/kysely/db.js';
import { migrationProvider } from '../../src/store/migrations/index.js';
import { forEachDatabase } from '../helpers/each-database.js';
import { type RunningGatehouse, startGatehouse } from '../helpers/server.js';
import {
  alertText,
  type Answer,
  authorizeUrl,
  CookieJarClient,
  pageForm,
  openLogin,
  submitLogin,
} from '../helpers/http-client.js';
import { CALLBACK, PASSWORD, signInTenant, users } from '../helpers/fixtures.js';

const webParams = { client_id: 'web', redirect_uri: CALLBACK, response_type: 'code', scope: 'openid', state: 'st-bf' };
const BLOCKED =
  'Your account has been blocked after multiple consecutive login attempts. Reset your password or contact support.';
const WRONG = 'Wrong email or password';
const DAY = 24 * 60 * 60_000;

/** The page without what differs per response or per e-mail typed. */
function normalise(answer: Answer, email: string): string {
  return answer.text
    .replaceAll(email, 'EMAIL')
    .replace(/nonce-[^'"]+|nonce="[^"]+"/g, 'NONCE')
    .replace(/name="_csrf" value="[^"]*"/g, 'CSRF');
}

forEachDatabase('brute-force protection', (db) => {
  let server: RunningGatehouse;
  /** The server's clock runs `offset` ms ahead of the real one. */
  let offset = 0;
  before(async () => {
    server = await startGatehouse({ databaseUrl: db().url, tenant: signInTenant(), now: () => Date.now() + offset });
  });
  after(() => server?.close());

  /** prompt=none: whether the browser got a session. */
  async function silentError(browser: CookieJarClient) {
    const answer = await browser.get(authorizeUrl(server, { ...webParams, prompt: 'none' }));
    return new URL(answer.location!).searchParams.get('error');
  }

  test('40 parallel guesses from one IP, the right password last: at most 10 are checked and the right one is refused', async () => {
    const browser = new CookieJarClient(server);
    const { form } = await openLogin(browser, webParams);
    const answers = await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        submitLogin(browser, form, users.alice.email, i === 39 ? PASSWORD : `wrong-${i}`),
      ),
    );
    const statuses = answers.map((a) => a.status);
    assert.equal(statuses.filter((s) => s === 400).length, 10, statuses.join(' '));
    assert.equal(statuses.filter((s) => s === 429).length, 30, statuses.join(' '));
    for (const answer of answers.filter((a) => a.status === 429)) assert.equal(alertText(answer), BLOCKED);
    assert.equal(alertText(answers[39]), BLOCKED);
    assert.equal(await silentError(browser), 'login_required');
  });

  test('an unknown e-mail is counted and blocked exactly like an account: 400 ×10, then 429 with the same page', async () => {
    // One browser and one sign-in transaction for both, so that the pages may differ only by the e-mail typed.
    const browser = new CookieJarClient(server);
    let { form } = await openLogin(browser, webParams);
    for (let attempt = 1; attempt <= 12; attempt++) {
      // The unknown e-mail is typed in varying case: it is one identifier, as an account's e-mail is.
      const typed = attempt % 2 ? 'Nobody@Acme.test' : 'nobody@acme.test';
      const a = await submitLogin(browser, form, users.bob.email, `wrong-${attempt}`);
      const b = await submitLogin(browser, pageForm(a), typed, `wrong-${attempt}`);
      const expected = attempt <= 10 ? [400, WRONG] : [429, BLOCKED];
      assert.deepEqual([a.status, alertText(a)], expected, `${users.bob.email}, attempt ${attempt}`);
      assert.deepEqual([b.status, alertText(b)], expected, `${typed}, attempt ${attempt}`);
      assert.equal(normalise(a, users.bob.email), normalise(b, typed), `attempt ${attempt}`);
      form = pageForm(b);
    }
    assert.equal(
      (await submitLogin(browser, form, users.bob.email, PASSWORD)).status,
      429,
      'the right password is refused too',
    );
  });

  test('a block lasts 30 days from the 10th failure, then the right password signs in', async () => {
    const browser = new CookieJarClient(server);
    let { form } = await openLogin(browser, webParams);
    for (let attempt = 1; attempt <= 10; attempt++) {
      const answer = await submitLogin(browser, form, users.erin.email, `wrong-${attempt}`);
      assert.equal(answer.status, 400, `attempt ${attempt}`);
      form = pageForm(answer);
    }
    assert.equal((await submitLogin(browser, form, users.erin.email, PASSWORD)).status, 429);

    offset += 30 * DAY - 60_000;
    ({ form } = await openLogin(browser, webParams));
    const still = await submitLogin(browser, form, users.erin.email, PASSWORD);
    assert.equal(still.status, 429, 'still blocked a minute before 30 days');
    assert.equal(alertText(still), BLOCKED);

    offset += 60_000;
    ({ form } = await openLogin(browser, webParams));
    const allowed = await submitLogin(browser, form, users.erin.email, PASSWORD);
    assert.equal(allowed.status, 303, allowed.text);
    assert.match(allowed.location ?? '', /^\/authorize\/resume\?/);
  });
});

forEachDatabase('brute-force protection across the upgrade that keys it by identifier', (db) => {
  test('a block counted per account before the upgrade still holds after it', async () => {
    const first = await startGatehouse({ databaseUrl: db().url, tenant: signInTenant() });
    try {
      const browser = new CookieJarClient(first);
      let { form } = await openLogin(browser, webParams);
      for (let attempt = 1; attempt <= 10; attempt++)
        form = pageForm(await submitLogin(browser, form, users.dave.email, `wrong-${attempt}`));
    } finally {
      await first.close();
    }
    // Back to the schema before: counts by user id and IP.
    const connection = openDatabase(db().url);
    try {
      const { error } = await new Migrator({ db: connection.db, provider: migrationProvider }).migrateTo(
        '0005-ip-throttles',
      );
      assert.ifError(error);
      const rows = await sql<{
        user_id: string;
        failures: number;
      }>`SELECT user_id, failures FROM login_failures`.execute(connection.db);
      assert.deepEqual(
        rows.rows.map((r) => [r.user_id, Number(r.failures)]),
        [[users.dave.user_id, 10]],
      );
    } finally {
      await connection.db.destroy();
    }

    const upgraded = await startGatehouse({ databaseUrl: db().url, tenant: signInTenant() });
    try {
      const browser = new CookieJarClient(upgraded);
      const { form } = await openLogin(browser, webParams);
      const blocked = await submitLogin(browser, form, users.dave.email, PASSWORD);
      assert.equal(blocked.status, 429, blocked.text);
      assert.equal(alertText(blocked), BLOCKED);
      assert.equal(
        (await submitLogin(browser, pageForm(blocked), users.erin.email, PASSWORD)).status,
        303,
        'another account is not blocked',
      );
    } finally {
      await upgraded.close();
    }
  });
});
