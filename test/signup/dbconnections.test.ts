// POST /dbconnections/signup (Auth0 Authentication API: "Signup"; docs/sign-in.md): Auth0's answer for JSON and
// form bodies, a new user who signs in at once and gets RBAC-shaped tokens, and every error
// shape with its whole body: user_exists, invalid_password per password_policy, operation_not_allowed,
// bad.client_id, bad.connection, bad.request (and 413 for an oversized body). Two sign-ups racing for one
// address: one wins. The hosted /u/signup form over HTTP: CSRF, disable_signup, its error messages.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { decodeJwt } from 'jose';
import { forEachDatabase } from '../helpers/each-database.js';
import { type RunningGatehouse, startGatehouse } from '../helpers/server.js';
import {
  alertText,
  authorizeUrl,
  basicAuth,
  callbackOf,
  CookieJarClient,
  type JsonAnswer,
  logIn,
  openPage,
  pkcePair,
  postSignup,
  postToken,
} from '../helpers/http-client.js';
import {
  acmeApi,
  API,
  CALLBACK,
  DB,
  dbConnection,
  PASSWORD,
  scopes,
  tenant,
  user,
  WEB_SECRET,
  webClient,
} from '../helpers/fixtures.js';

const TAKEN = 'taken@acme.test';

const GOOD_RULES =
  'at least 3 of: lower case letters (a-z), upper case letters (A-Z), numbers (0-9), special characters (e.g. !@#$%^&*)';

/** One connection per Auth0 password_policy level, each with a password it refuses and one it takes. */
const policies = [
  {
    policy: 'none',
    options: { password_policy: 'none' },
    rules: 'The password must have at least 1 characters.',
    weak: [],
    strong: 'a',
  },
  {
    policy: 'none, min_length 4',
    options: { password_policy: 'none', password_complexity_options: { min_length: 4 } },
    rules: 'The password must have at least 4 characters.',
    weak: ['abc'],
    strong: 'abcd',
  },
  {
    policy: 'low',
    options: { password_policy: 'low' },
    rules: 'The password must have at least 6 characters.',
    weak: ['12345'],
    strong: '123456',
  },
  {
    policy: 'fair',
    options: { password_policy: 'fair' },
    rules:
      'The password must have at least 8 characters; lower case letters (a-z), upper case letters (A-Z) and numbers (0-9).',
    // 7 characters; no upper case letter; no number.
    weak: ['Abcdef1', 'abcdefg1!', 'Abcdefgh!'],
    strong: 'Abcdefg1',
  },
  {
    policy: 'good',
    options: { password_policy: 'good' },
    rules: `The password must have at least 8 characters; ${GOOD_RULES}.`,
    // 2 kinds only; 7 characters.
    weak: ['abcdefg1', 'Abc-de1'],
    strong: 'abcdef-1',
  },
  {
    policy: 'excellent',
    options: { password_policy: 'excellent' },
    rules: `The password must have at least 10 characters; ${GOOD_RULES}; no more than 2 identical characters in a row.`,
    // 9 characters; 3 identical in a row; 2 kinds only.
    weak: ['Abcdefgh1', 'Abccc-fgh12', 'abcdefghij12'],
    strong: 'Abccd-fgh12',
  },
] as const;

const connectionOf = (policy: string) => `policy-${policy.replace(/[^a-z0-9]+/g, '-')}`;

function signupTenant() {
  return tenant({
    resource_servers: [
      acmeApi({
        scopes: scopes(['read:items', 'Read items'], ['write:items', 'Write items']),
        enforce_policies: true,
        token_dialect: 'access_token_authz',
      }),
    ],
    clients: [
      webClient(),
      webClient({ client_id: 'elsewhere', name: 'Elsewhere', callbacks: ['http://localhost:9090/callback'] }),
    ],
    connections: [
      dbConnection([webClient()]),
      { name: 'Invite-Only', strategy: 'auth0', options: { disable_signup: true }, enabled_clients: ['web'] },
      { name: 'Elsewhere-Users', strategy: 'auth0', enabled_clients: ['elsewhere'] },
      { name: 'email', strategy: 'email', enabled_clients: ['web'] },
      ...policies.map((p) => ({
        name: connectionOf(p.policy),
        strategy: 'auth0',
        options: p.options,
        enabled_clients: ['web'],
      })),
    ],
    users: [user('taken', { email_verified: true })],
    roles: [{ name: 'reader', permissions: [{ resource_server_identifier: API, permission_name: 'read:items' }] }],
  });
}

/** Auth0's older error shape with the OAuth pair added (docs/sign-in.md "Signing up through the API"). */
function auth0Error(code: string, description: string, extra: Record<string, unknown> = {}) {
  return {
    name: code === 'invalid_password' ? 'PasswordStrengthError' : 'BadRequestError',
    code,
    description,
    statusCode: 400,
    error: code,
    error_description: description,
    ...extra,
  };
}

function assertError(answer: JsonAnswer, expected: Record<string, unknown>, what: string) {
  assert.equal(answer.status, expected.statusCode, `${what}: ${JSON.stringify(answer.body)}`);
  assert.match(answer.headers.get('content-type') ?? '', /^application\/json/, what);
  assert.equal(answer.headers.get('cache-control'), 'no-store', what);
  assert.deepEqual(answer.body, expected, what);
}

forEachDatabase('POST /dbconnections/signup', (db) => {
  let server: RunningGatehouse;
  before(async () => {
    server = await startGatehouse({ databaseUrl: db().url, tenant: signupTenant() });
  });
  after(() => server?.close());

  const signup = (fields: Record<string, unknown>) =>
    postSignup(server, { client_id: 'web', connection: DB, ...fields });

  /** Code + PKCE through /authorize and /u/login (or the live session), redeemed at /oauth/token. */
  async function tokensFor(browser: CookieJarClient, login?: { email: string; password: string }) {
    const pkce = pkcePair();
    const params = {
      client_id: 'web',
      redirect_uri: CALLBACK,
      response_type: 'code',
      scope: 'openid profile email read:items',
      audience: API,
      state: 'st-signup',
      nonce: 'n-signup',
      code_challenge: pkce.challenge,
      code_challenge_method: 'S256',
    };
    const callback = login
      ? await callbackOf(browser, await logIn(browser, params, login.email, login.password))
      : await callbackOf(browser, await browser.get(authorizeUrl(server, params)));
    assert.equal(callback.origin + callback.pathname, CALLBACK);
    assert.equal(callback.searchParams.get('state'), 'st-signup');
    const code = callback.searchParams.get('code');
    assert.ok(code, `no code in ${callback.href}`);
    const answer = await postToken(
      server,
      { grant_type: 'authorization_code', code, redirect_uri: CALLBACK, code_verifier: pkce.verifier },
      { authorization: basicAuth('web', WEB_SECRET) },
    );
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    return {
      idToken: decodeJwt(answer.body.id_token as string),
      accessToken: decodeJwt(answer.body.access_token as string),
      scope: answer.body.scope,
    };
  }

  describe('success', () => {
    let created: Record<string, unknown>;

    test('a JSON body creates the user: 200 {_id, email, email_verified: false, ...the profile fields given}', async () => {
      const answer = await signup({
        email: 'New.Person@Acme.test',
        password: PASSWORD,
        username: 'newperson',
        given_name: 'New',
        family_name: 'Person',
        name: 'New Person',
        nickname: 'newbie',
        picture: 'https://img.acme.test/new.png',
        user_metadata: { plan: 'free', theme: 'dark' },
      });
      assert.equal(answer.status, 200, JSON.stringify(answer.body));
      assert.match(answer.headers.get('content-type') ?? '', /^application\/json/);
      assert.equal(answer.headers.get('cache-control'), 'no-store');
      assert.match(String(answer.body._id), /^[0-9a-f]{24}$/, "Auth0's _id: the user id without auth0|");
      assert.deepEqual(answer.body, {
        _id: answer.body._id,
        // Auth0 keeps e-mail addresses in lower case.
        email: 'new.person@acme.test',
        email_verified: false,
        username: 'newperson',
        given_name: 'New',
        family_name: 'Person',
        name: 'New Person',
        nickname: 'newbie',
        picture: 'https://img.acme.test/new.png',
        user_metadata: { plan: 'free', theme: 'dark' },
      });
      assert.equal(JSON.stringify(answer.body).includes(PASSWORD), false, 'the password is not echoed');
      created = answer.body;
      const stored = await server.gatehouse.store.users.get(`auth0|${String(created._id)}`);
      assert.ok(stored, 'stored as auth0|<_id>');
      assert.equal(stored.connection, DB);
      assert.notEqual(stored.password_hash, PASSWORD);
      assert.match(String(stored.password_hash), /^\$argon2id\$/);
    });

    test('a form body creates the user: 200 {_id, email, email_verified: false} and nothing else', async () => {
      const answer = await postSignup(
        server,
        new URLSearchParams({ client_id: 'web', connection: DB, email: 'form.person@acme.test', password: PASSWORD }),
      );
      assert.equal(answer.status, 200, JSON.stringify(answer.body));
      assert.equal(answer.headers.get('cache-control'), 'no-store');
      assert.match(String(answer.body._id), /^[0-9a-f]{24}$/);
      assert.deepEqual(answer.body, { _id: answer.body._id, email: 'form.person@acme.test', email_verified: false });
      assert.notEqual(answer.body._id, created._id);
    });

    test('the new user signs in through /authorize and /u/login at once; RBAC: permissions [] until a role is given', async () => {
      const browser = new CookieJarClient(server);
      const first = await tokensFor(browser, { email: 'new.person@acme.test', password: PASSWORD });
      const sub = `auth0|${String(created._id)}`;
      assert.equal(first.idToken.sub, sub);
      assert.equal(first.idToken.aud, 'web');
      assert.equal(first.idToken.nonce, 'n-signup');
      assert.equal(first.idToken.email, 'new.person@acme.test');
      assert.equal(first.idToken.email_verified, false);
      assert.equal(first.idToken.name, 'New Person');
      assert.equal(first.idToken.nickname, 'newbie');
      assert.equal(first.accessToken.sub, sub);
      assert.deepEqual(first.accessToken.aud, [API, server.url('/userinfo')]);
      // enforce_policies: read:items is dropped (not refused) while no role grants it.
      assert.equal(first.accessToken.scope, 'openid profile email');
      assert.deepEqual(first.accessToken.permissions, []);

      const store = server.gatehouse.store;
      const role = await store.roles.getByName('reader');
      assert.ok(role);
      await store.roles.setMembers(role.id, [sub]);
      const second = await tokensFor(browser);
      assert.equal(second.accessToken.sub, sub);
      assert.equal(second.accessToken.scope, 'openid profile email read:items');
      assert.deepEqual(second.accessToken.permissions, ['read:items']);
    });

    test('a user who signed up with a form body signs in too', async () => {
      const { idToken, accessToken } = await tokensFor(new CookieJarClient(server), {
        email: 'FORM.person@acme.test',
        password: PASSWORD,
      });
      assert.equal(idToken.email, 'form.person@acme.test');
      assert.deepEqual(accessToken.permissions, []);
    });

    test('the same address may sign up to another database connection', async () => {
      const answer = await postSignup(server, {
        client_id: 'web',
        connection: connectionOf('low'),
        email: TAKEN,
        password: '123456',
      });
      assert.equal(answer.status, 200, JSON.stringify(answer.body));
      assert.deepEqual(answer.body, { _id: answer.body._id, email: TAKEN, email_verified: false });
    });
  });

  describe('invalid_password: each password_policy level refuses a weak password and takes a strong one', () => {
    for (const { policy, rules, weak, strong } of policies) {
      test(`password_policy ${policy}`, async () => {
        const connection = connectionOf(policy);
        const email = `${connection}@acme.test`;
        for (const password of weak) {
          const answer = await postSignup(server, { client_id: 'web', connection, email, password });
          const description = `Password is too weak. ${rules}`;
          assertError(
            answer,
            auth0Error('invalid_password', description, { policy: rules }),
            `${policy}: ${JSON.stringify(password)}`,
          );
        }
        // Nothing was created by the refusals: the same address now signs up.
        const answer = await postSignup(server, { client_id: 'web', connection, email, password: strong });
        assert.equal(answer.status, 200, `${policy}: ${JSON.stringify(strong)}: ${JSON.stringify(answer.body)}`);
        assert.deepEqual(answer.body, { _id: answer.body._id, email, email_verified: false });
      });
    }

    test('password_policy none still needs a password (an empty one is a missing parameter)', async () => {
      const answer = await postSignup(server, {
        client_id: 'web',
        connection: connectionOf('none'),
        email: 'empty@acme.test',
        password: '',
      });
      assertError(answer, auth0Error('bad.request', 'Missing required parameter: password'), 'empty password');
    });

    test('a connection without password_policy uses Auth0\'s default for new connections ("good")', async () => {
      const answer = await signup({ email: 'default-policy@acme.test', password: 'abcdefg1' });
      const rules = `The password must have at least 8 characters; ${GOOD_RULES}.`;
      assertError(
        answer,
        auth0Error('invalid_password', `Password is too weak. ${rules}`, { policy: rules }),
        'default policy',
      );
    });
  });

  describe('error shapes', () => {
    const missing = (name: string) => auth0Error('bad.request', `Missing required parameter: ${name}`);
    const complete = { client_id: 'web', connection: DB, email: 'someone@acme.test', password: PASSWORD };
    const without = (name: keyof typeof complete) =>
      Object.fromEntries(Object.entries(complete).filter(([key]) => key !== name));
    const rows: {
      name: string;
      body: Record<string, unknown> | URLSearchParams | string;
      contentType?: string;
      expected: Record<string, unknown>;
    }[] = [
      {
        name: 'an e-mail that has an account',
        body: { ...complete, email: TAKEN },
        expected: auth0Error('user_exists', 'The user already exists.'),
      },
      {
        name: 'an e-mail that has an account, in other case',
        body: { ...complete, email: 'Taken@ACME.test' },
        expected: auth0Error('user_exists', 'The user already exists.'),
      },
      {
        name: 'a connection with disable_signup',
        body: { ...complete, connection: 'Invite-Only' },
        expected: auth0Error('operation_not_allowed', 'Public signup is disabled'),
      },
      {
        name: 'an unknown client',
        body: { ...complete, client_id: 'nope' },
        expected: auth0Error('bad.client_id', 'Unknown client: nope'),
      },
      {
        name: 'a database connection not enabled for the client',
        body: { ...complete, connection: 'Elsewhere-Users' },
        expected: auth0Error(
          'bad.connection',
          'The connection "Elsewhere-Users" is not a database connection enabled for this application',
        ),
      },
      {
        name: 'a connection that is not a database connection (passwordless)',
        body: { ...complete, connection: 'email' },
        expected: auth0Error(
          'bad.connection',
          'The connection "email" is not a database connection enabled for this application',
        ),
      },
      {
        name: 'an unknown connection',
        body: { ...complete, connection: 'Nope' },
        expected: auth0Error(
          'bad.connection',
          'The connection "Nope" is not a database connection enabled for this application',
        ),
      },
      { name: 'no email', body: without('email'), expected: missing('email') },
      { name: 'no password', body: without('password'), expected: missing('password') },
      { name: 'no connection', body: without('connection'), expected: missing('connection') },
      { name: 'no client_id', body: without('client_id'), expected: missing('client_id') },
      { name: 'an empty JSON object', body: {}, expected: missing('client_id') },
      {
        name: 'malformed JSON',
        body: '{"client_id": "web", "email": ',
        expected: auth0Error('bad.request', 'The request body could not be read'),
      },
      {
        name: 'a body that is neither JSON nor a form',
        body: 'client_id=web',
        contentType: 'text/plain',
        expected: auth0Error('bad.request', 'The request body could not be read'),
      },
      {
        name: 'an e-mail without @',
        body: { ...complete, email: 'someone.acme.test' },
        expected: auth0Error('bad.request', 'The email address is not valid'),
      },
      {
        name: 'an e-mail without a domain',
        body: { ...complete, email: 'someone@' },
        expected: auth0Error('bad.request', 'The email address is not valid'),
      },
      {
        name: 'an e-mail with a space',
        body: { ...complete, email: 'some one@acme.test' },
        expected: auth0Error('bad.request', 'The email address is not valid'),
      },
      {
        name: 'an e-mail that is a number',
        body: { ...complete, email: 42 },
        expected: auth0Error('bad.request', 'Invalid parameter: email'),
      },
      {
        name: 'user_metadata that is not an object',
        body: { ...complete, user_metadata: 'x' },
        expected: auth0Error('bad.request', 'Invalid parameter: user_metadata'),
      },
      {
        name: 'email sent twice in a form',
        body: new URLSearchParams([...Object.entries(complete), ['email', 'other@acme.test']]),
        expected: auth0Error('bad.request', 'Invalid parameter: email'),
      },
      {
        // docs/operations.md "Request bodies": a body over 64 KiB is refused with 413 before it is parsed.
        name: 'a body over 64 KiB',
        body: { ...complete, user_metadata: { notes: 'x'.repeat(70 * 1024) } },
        expected: { ...auth0Error('bad.request', 'Request body is too large'), statusCode: 413 },
      },
    ];
    for (const row of rows) {
      test(`${row.name}: ${String(row.expected.statusCode)} ${String(row.expected.code)}`, async () => {
        assertError(await postSignup(server, row.body, row.contentType), row.expected, row.name);
      });
    }

    test('none of the refused sign-ups created a user', async () => {
      const users = server.gatehouse.store.users;
      assert.equal(await users.findByEmail(DB, 'someone@acme.test'), undefined);
      assert.equal(await users.findByEmail('Invite-Only', 'someone@acme.test'), undefined);
      assert.equal(await users.findByEmail('Elsewhere-Users', 'someone@acme.test'), undefined);
    });
  });

  describe('the hosted sign-up page (/u/signup) over HTTP', () => {
    const pageParams = (extra: Record<string, string>) => ({
      client_id: 'web',
      redirect_uri: CALLBACK,
      response_type: 'code',
      scope: 'openid',
      state: 'st-page',
      screen_hint: 'signup',
      ...extra,
    });

    test('its form is accepted only with the CSRF cookie it was served with; a refused POST creates nothing', async () => {
      const browser = new CookieJarClient(server);
      const { form } = await openPage(browser, await browser.get(authorizeUrl(server, pageParams({}))), '/u/signup');
      const other = new CookieJarClient(server);
      await openPage(other, await other.get(authorizeUrl(server, pageParams({}))), '/u/signup');
      const fields = { _csrf: form.csrf, email: 'csrf-page@acme.test', password: PASSWORD };

      const thief = new CookieJarClient(server);
      const noCookie = await thief.post(form.action, fields);
      thief.setCookie('gatehouse_csrf', other.cookie('gatehouse_csrf')!, '/u');
      const otherCookie = await thief.post(form.action, fields);
      for (const answer of [noCookie, otherCookie]) {
        assert.equal(answer.status, 403, answer.text);
        assert.equal(answer.location, undefined);
      }
      assert.equal(await server.gatehouse.store.users.findByEmail(DB, 'csrf-page@acme.test'), undefined);

      const posted = await browser.post(form.action, fields);
      assert.equal(posted.status, 303, posted.text);
      const callback = await callbackOf(browser, posted);
      assert.equal(callback.searchParams.get('state'), 'st-page');
      assert.ok(callback.searchParams.get('code'));
      assert.ok(await server.gatehouse.store.users.findByEmail(DB, 'csrf-page@acme.test'));
    });

    test('disable_signup: screen_hint=signup shows the login page, which has no Sign up link', async () => {
      const browser = new CookieJarClient(server);
      const first = await browser.get(authorizeUrl(server, pageParams({ connection: 'Invite-Only' })));
      assert.equal(first.status, 302);
      assert.match(first.location ?? '', /^\/u\/signup\?state=/);
      const signupPage = await browser.get(first.location!);
      const { page, form } = await openPage(browser, signupPage, '/u/login');
      assert.equal(page.text.includes('/u/signup'), false, 'no link to the sign-up page');
      assert.equal(page.text.includes('Sign up'), false);

      // The login form's token does not open the sign-up form either.
      const posted = await browser.post(form.action.replace('/u/login', '/u/signup'), {
        _csrf: form.csrf,
        email: 'sneaky@acme.test',
        password: PASSWORD,
      });
      assert.equal(posted.status, 403, posted.text);
      assert.equal(await server.gatehouse.store.users.findByEmail('Invite-Only', 'sneaky@acme.test'), undefined);

      // With sign-up allowed, the login page links to it.
      const open = await browser.get(authorizeUrl(server, pageParams({ screen_hint: 'login' })));
      const login = await openPage(browser, open, '/u/login');
      assert.match(login.page.text, /Don't have an account\? <a href="\/u\/signup\?state=[^"]+">Sign up<\/a>/);
    });

    test('the policy message and "The user already exists." are shown above the form', async () => {
      const browser = new CookieJarClient(server);
      const { form } = await openPage(
        browser,
        await browser.get(authorizeUrl(server, pageParams({ connection: connectionOf('excellent') }))),
        '/u/signup',
      );
      const weak = await browser.post(form.action, {
        _csrf: form.csrf,
        email: 'page-weak@acme.test',
        password: 'Abcdefgh1',
      });
      assert.equal(weak.status, 400);
      const rules = policies.find((p) => p.policy === 'excellent')!.rules;
      assert.equal(alertText(weak), `Password is too weak. ${rules}`);
      assert.equal(weak.text.includes('Abcdefgh1'), false, 'the password is not sent back');

      const taken = await openPage(browser, await browser.get(authorizeUrl(server, pageParams({}))), '/u/signup');
      const exists = await browser.post(taken.form.action, {
        _csrf: taken.form.csrf,
        email: 'TAKEN@acme.test',
        password: PASSWORD,
      });
      assert.equal(exists.status, 400);
      assert.equal(alertText(exists), 'The user already exists.');
    });
  });

  test('two sign-ups racing for one address: exactly one 200, the other user_exists', async () => {
    for (const round of [1, 2, 3]) {
      const email = `racer-${round}@acme.test`;
      const answers = await Promise.all([
        signup({ email, password: PASSWORD }),
        signup({ email: round === 3 ? email.toUpperCase() : email, password: `${PASSWORD}-other` }),
      ]);
      const won = answers.filter((a) => a.status === 200);
      const lost = answers.filter((a) => a.status !== 200);
      assert.equal(won.length, 1, `round ${round}: ${JSON.stringify(answers.map((a) => a.body))}`);
      assert.deepEqual(won[0].body, { _id: won[0].body._id, email, email_verified: false });
      assertError(lost[0], auth0Error('user_exists', 'The user already exists.'), `round ${round}`);
      assert.equal(
        (await server.gatehouse.store.users.findByEmail(DB, email))?.user_id,
        `auth0|${String(won[0].body._id)}`,
      );
    }
  });
});
