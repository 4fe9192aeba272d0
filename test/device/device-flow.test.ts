// The device authorization grant over HTTP (RFC 8628): /oauth/device/code, the person's part at /activate
// (code page, login page, confirmation), and the device's polls at /oauth/token, the refusals as tables.
// The server's clock is moved forward to reach an interval or the expiry.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { decodeJwt } from 'jose';
import {
  assertRefused,
  CLI_SECRET,
  decide,
  DEVICE_GRANT,
  deviceTenant,
  enterCode,
  openConfirmation,
  poll,
  requestDeviceCode,
  USER_CODE,
} from '../helpers/device.js';
import { forEachDatabase } from '../helpers/each-database.js';
import { API, WEB_SECRET } from '../helpers/fixtures.js';
import { basicAuth, CookieJarClient, decodeHtml, postForm } from '../helpers/http-client.js';
import { type RunningGatehouse, startGatehouse } from '../helpers/server.js';

const WRONG = 'Invalid or expired user code';
const PENDING = { error: 'authorization_pending', error_description: 'User has yet to authorize device code.' };
const INVALID = { error: 'invalid_grant', error_description: 'Invalid or expired device code.' };
const slowDown = (seconds: number) => ({
  error: 'slow_down',
  error_description: `You are polling faster than the specified interval of ${seconds} seconds.`,
});

forEachDatabase('the device authorization flow over HTTP', (db) => {
  let server: RunningGatehouse;
  /** Milliseconds the server's clock is ahead of the real one. */
  let ahead = 0;
  const wait = (seconds: number) => {
    ahead += seconds * 1000;
  };

  before(async () => {
    server = await startGatehouse({ databaseUrl: db().url, tenant: deviceTenant(), now: () => Date.now() + ahead });
  });
  after(() => server?.close());

  /** A device authorization that Alice confirmed in a browser of her own. */
  async function approved() {
    const device = await requestDeviceCode(server);
    const person = new CookieJarClient(server);
    await decide(person, await openConfirmation(person, device.user_code), 'confirm');
    return device;
  }

  test('discovery names the endpoint; a device gets codes in Auth0s format, from a form or a JSON body', async () => {
    const discovery = (await (await fetch(server.url('/.well-known/openid-configuration'))).json()) as Record<
      string,
      unknown
    >;
    assert.equal(discovery.device_authorization_endpoint, `${server.issuer}oauth/device/code`);
    assert.ok((discovery.grant_types_supported as string[]).includes(DEVICE_GRANT));

    const device = await requestDeviceCode(server);
    assert.deepEqual(Object.keys(device).sort(), [
      'device_code',
      'expires_in',
      'interval',
      'user_code',
      'verification_uri',
      'verification_uri_complete',
    ]);
    assert.match(device.user_code, USER_CODE);
    assert.equal(device.verification_uri, `${server.issuer}activate`);
    assert.equal(device.verification_uri_complete, `${server.issuer}activate?user_code=${device.user_code}`);
    assert.equal(device.expires_in, 900);
    assert.equal(device.interval, 5);

    const json = await fetch(server.url('/oauth/device/code'), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ client_id: 'tv', scope: 'openid' }),
    });
    assert.equal(json.status, 200);
    assert.equal(json.headers.get('cache-control'), 'no-store');
    assert.match(((await json.json()) as { user_code: string }).user_code, USER_CODE);
  });

  test('refusals at /oauth/device/code', async () => {
    const cases: [string, Record<string, string>, Record<string, string>, number, Record<string, string>][] = [
      [
        'a client without the device grant',
        {},
        { authorization: basicAuth('web', WEB_SECRET) },
        403,
        { error: 'unauthorized_client', error_description: `Grant type '${DEVICE_GRANT}' not allowed for the client.` },
      ],
      [
        'a confidential client with a wrong secret',
        {},
        { authorization: basicAuth('cli', 'wrong-secret') },
        401,
        { error: 'invalid_client', error_description: 'Client authentication failed' },
      ],
      [
        'an unknown audience',
        { client_id: 'tv', audience: 'https://nowhere.test' },
        {},
        403,
        { error: 'access_denied', error_description: 'Service not found: https://nowhere.test' },
      ],
    ];
    for (const [name, params, headers, status, body] of cases) {
      const answer = await postForm(server, '/oauth/device/code', params, headers);
      assert.equal(answer.status, status, name);
      if (body.error === 'invalid_client') assert.equal(answer.body.error, 'invalid_client', name);
      else assert.deepEqual(answer.body, body, name);
    }
    // The confidential client authenticates as at the token endpoint.
    const cli = await postForm(
      server,
      '/oauth/device/code',
      { scope: 'openid' },
      { authorization: basicAuth('cli', CLI_SECRET) },
    );
    assert.equal(cli.status, 200, JSON.stringify(cli.body));
  });

  test('polling: pending, too fast (slow_down, the interval grows by 5 s), pending again after the new interval', async () => {
    const device = await requestDeviceCode(server);
    const answers = [];
    answers.push(await poll(server, device.device_code)); // the first poll is never too fast
    answers.push(await poll(server, device.device_code)); // at once: too fast, interval 5 → 10
    wait(6);
    answers.push(await poll(server, device.device_code)); // 6 s later: too fast for 10 s, interval → 15
    wait(16);
    answers.push(await poll(server, device.device_code)); // 16 s later: in time
    assert.deepEqual(
      answers.map((a) => [a.status, a.body]),
      [
        [403, PENDING],
        [429, slowDown(5)],
        [429, slowDown(10)],
        [403, PENDING],
      ],
    );
    // Another client's poll of this device code learns nothing.
    assert.deepEqual((await poll(server, device.device_code, 'cli')).status, 401);
    const other = await postForm(
      server,
      '/oauth/token',
      { grant_type: DEVICE_GRANT, device_code: device.device_code },
      { authorization: basicAuth('cli', CLI_SECRET) },
    );
    assert.deepEqual([other.status, other.body], [403, INVALID]);
  });

  test('a person enters the code, signs in and confirms: the device gets the tokens once', async () => {
    const device = await requestDeviceCode(server);
    const person = new CookieJarClient(server);
    const confirmation = await openConfirmation(person, device.user_code);
    const text = decodeHtml(confirmation.text);
    assert.match(text, /Please confirm this is the code displayed on your <strong>Acme TV<\/strong>/);
    assert.ok(text.includes(device.user_code), 'the confirmation shows the user code');
    for (const scope of ['openid', 'offline_access', 'read:items', 'Read your items'])
      assert.ok(text.includes(scope), scope);
    // Not confirmed yet: still pending.
    assert.deepEqual((await poll(server, device.device_code)).body, PENDING);

    const done = await decide(person, confirmation, 'confirm');
    assert.match(done.text, /Congratulations, you&#39;re all set!|Congratulations, you're all set!/);
    assert.match(done.text, /Your device is now connected\./);

    wait(5);
    const tokens = await poll(server, device.device_code);
    assert.equal(tokens.status, 200, JSON.stringify(tokens.body));
    // RBAC as in the code flow: write:items is dropped, Alice may only read.
    assert.equal(tokens.body.scope, 'openid profile read:items offline_access');
    const access = decodeJwt(String(tokens.body.access_token));
    assert.deepEqual(access.aud, [API, `${server.issuer}userinfo`]);
    assert.match(String(access.sub), /^auth0\|/);
    assert.equal(access.azp, 'tv');
    const id = decodeJwt(String(tokens.body.id_token));
    assert.equal(id.aud, 'tv');
    assert.equal(id.sub, access.sub);
    assert.equal(id.name, 'Alice');
    assert.ok(id.sid && id.auth_time, 'the ID token names the session that confirmed');
    assert.ok(tokens.body.refresh_token, 'offline_access gives a refresh token');

    // Single use: at once and after the interval alike.
    const again = [await poll(server, device.device_code)];
    wait(5);
    again.push(await poll(server, device.device_code));
    assert.deepEqual(
      again.map((a) => [a.status, a.body]),
      [
        [403, INVALID],
        [403, INVALID],
      ],
    );

    // The same browser, already signed in, goes straight from the code to the confirmation.
    const next = await requestDeviceCode(server);
    const straight = await enterCode(person, next.user_code);
    assert.equal(straight.status, 303);
    assert.match(straight.location ?? '', /^\/u\/device\/confirm\?state=/);
  });

  test('Cancel: the device hears access_denied, and the code is spent', async () => {
    const device = await requestDeviceCode(server);
    const person = new CookieJarClient(server);
    const cancelled = await decide(person, await openConfirmation(person, device.user_code), 'cancel');
    assert.match(cancelled.text, /You have cancelled the activation of your device\./);
    const answer = await poll(server, device.device_code);
    assert.deepEqual(
      [answer.status, answer.body],
      [403, { error: 'access_denied', error_description: 'User cancelled the confirmation prompt or consent page.' }],
    );
    assertRefused(await enterCode(new CookieJarClient(server), device.user_code), 400, WRONG);
  });

  test('the link with the code only fills it in: without Confirm nothing is approved', async () => {
    const device = await requestDeviceCode(server);
    const person = new CookieJarClient(server);
    const page = await person.get(device.verification_uri_complete);
    assert.equal(page.status, 200);
    assert.match(page.text, /<label for="gh-user-code">Code<\/label>/);
    assert.ok(page.text.includes(`value="${device.user_code}"`), 'the code is filled in');
    assert.match(page.text, /Enter the code displayed on your device/);
    // Signed in and shown the confirmation, but never pressing Confirm.
    await openConfirmation(person, device.user_code);
    assert.deepEqual((await poll(server, device.device_code)).body, PENDING);
  });

  test('wrong and malformed codes get Auth0s words; a code is case- and dash-insensitive', async () => {
    const person = new CookieJarClient(server);
    for (const typed of ['BCDF-GHJK', 'not a code', '', 'AEIO-UAEI'])
      assertRefused(await enterCode(person, typed), 400, WRONG);
    const device = await requestDeviceCode(server);
    const sloppy = device.user_code.toLowerCase().replace('-', ' ');
    const accepted = await enterCode(new CookieJarClient(server), sloppy);
    assert.equal(accepted.status, 303, accepted.text);
  });

  test('20 wrong codes in a row from one browser: after 10 the browser is throttled, the right code too', async () => {
    const device = await requestDeviceCode(server);
    const person = new CookieJarClient(server);
    const statuses: number[] = [];
    for (let i = 0; i < 20; i++) statuses.push((await enterCode(person, 'ZZZZ-ZZZZ')).status);
    assert.deepEqual(statuses, [...Array(10).fill(400), ...Array(10).fill(429)]);
    const refused = await enterCode(person, device.user_code);
    assert.equal(refused.status, 429);
    assert.match(decodeHtml(refused.text), /Too many codes were entered/);
    // Another browser on the same network still may.
    assert.equal((await enterCode(new CookieJarClient(server), device.user_code)).status, 303);
  });

  test('parallel polls of one approved device code: exactly one gets tokens', async () => {
    const device = await approved();
    wait(5);
    const answers = await Promise.all(Array.from({ length: 6 }, () => poll(server, device.device_code)));
    assert.equal(answers.filter((a) => a.status === 200).length, 1, JSON.stringify(answers.map((a) => a.body)));
    for (const answer of answers.filter((a) => a.status !== 200))
      assert.ok(['slow_down', 'invalid_grant'].includes(String(answer.body.error)), JSON.stringify(answer.body));
  });

  test('after expiry: the device hears expired_token and the code page refuses the code', async () => {
    const device = await requestDeviceCode(server);
    const person = new CookieJarClient(server);
    wait(901);
    assert.deepEqual((await poll(server, device.device_code)).body, {
      error: 'expired_token',
      error_description: 'The device code has expired.',
    });
    assertRefused(await enterCode(person, device.user_code), 400, WRONG);
    // An approved code not collected in time expires too.
    const late = await approved();
    wait(901);
    const answer = await poll(server, late.device_code);
    assert.deepEqual([answer.status, answer.body.error], [403, 'expired_token']);
  });
});
