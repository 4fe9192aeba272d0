// What a browser and a client see when an /authorize request is wrong. While the client or the
// redirect_uri is not verified, nothing may be redirected: an error page (400). Every other error goes
// back to the registered redirect_uri with error, error_description, the state as sent and iss (RFC 9207),
// in the response mode asked for; form_post errors arrive as an auto-submitting form whose CSP allows
// exactly its script.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, test } from 'node:test';
import { forEachDatabase } from '../helpers/each-database.js';
import { type RunningGatehouse, startGatehouse } from '../helpers/server.js';
import { type Answer, CookieJarClient, decodeHtml, type Form, pkcePair } from '../helpers/http-client.js';
import { CALLBACK, NATIVE_LOOPBACK, signInTenant, SPA_CALLBACK } from '../helpers/fixtures.js';

const STATE = 'af0ifjsldkj +/&=é';
const { challenge } = pkcePair();
const base = { client_id: 'web', redirect_uri: CALLBACK, response_type: 'code', scope: 'openid profile', state: STATE };

/** The base request with some parameters replaced (a value of undefined removes it), plus repeated pairs. */
function req(overrides: Record<string, string | undefined> = {}, extra: [string, string][] = []): [string, string][] {
  const merged: Record<string, string | undefined> = { ...base, ...overrides };
  return [...Object.entries(merged).filter((e): e is [string, string] => e[1] !== undefined), ...extra];
}

interface PageRow {
  name: string;
  params: Form;
  method?: 'GET' | 'POST';
  description: string;
}

const notRegistered = (uri: string) =>
  `The redirect_uri "${uri}" is not in the list of allowed callback URLs of the application`;
const nearMiss = (name: string, uri: string, client = 'web'): PageRow => ({
  name: `redirect_uri near-miss: ${name}`,
  params: req({ client_id: client, redirect_uri: uri }),
  description: notRegistered(uri),
});

const pageRows: PageRow[] = [
  { name: 'unknown client', params: req({ client_id: 'nobody' }), description: 'Unknown client: nobody' },
  {
    name: 'missing client_id',
    params: req({ client_id: undefined }),
    description: 'Missing required parameter: client_id',
  },
  { name: 'empty client_id', params: req({ client_id: '' }), description: 'Missing required parameter: client_id' },
  {
    name: 'client_id sent twice',
    params: req({}, [['client_id', 'web']]),
    description: 'Parameter sent more than once: client_id',
  },
  {
    name: 'missing redirect_uri',
    params: req({ redirect_uri: undefined }),
    description: 'Missing required parameter: redirect_uri',
  },
  {
    name: 'empty redirect_uri',
    params: req({ redirect_uri: '' }),
    description: 'Missing required parameter: redirect_uri',
  },
  {
    name: 'redirect_uri sent twice',
    params: req({}, [['redirect_uri', CALLBACK]]),
    description: 'Parameter sent more than once: redirect_uri',
  },
  {
    name: 'unknown client by POST',
    method: 'POST',
    params: req({ client_id: 'nobody' }),
    description: 'Unknown client: nobody',
  },
  {
    name: 'an unregistered redirect_uri by POST',
    method: 'POST',
    params: req({ redirect_uri: 'https://evil.test/cb' }),
    description: notRegistered('https://evil.test/cb'),
  },
  // Exact match (RFC 6749 §3.1.2.3, OAuth 2.0 Security BCP §4.1.3): no normalisation, no prefix, no case folding.
  nearMiss('prefix of the registered one', 'http://localhost:8080/call'),
  nearMiss('registered one plus a path segment', 'http://localhost:8080/callback/evil'),
  nearMiss('registered one plus characters', 'http://localhost:8080/callbackx'),
  nearMiss('different case in the path', 'http://localhost:8080/Callback'),
  nearMiss('different case in the host', 'http://LOCALHOST:8080/callback'),
  nearMiss('different case in the scheme', 'HTTP://localhost:8080/callback'),
  nearMiss('https instead of http', 'https://localhost:8080/callback'),
  nearMiss('another port', 'http://localhost:8081/callback'),
  nearMiss('port left out', 'http://localhost/callback'),
  nearMiss('trailing slash added', 'http://localhost:8080/callback/'),
  nearMiss('trailing slash removed', 'https://app.acme.test/done'),
  nearMiss('extra query', 'http://localhost:8080/callback?next=/admin'),
  nearMiss('empty query added', 'http://localhost:8080/callback?'),
  nearMiss('registered query left out', 'https://app.acme.test/cb'),
  nearMiss('registered query changed', 'https://app.acme.test/cb?tenant=evil'),
  nearMiss('registered query plus a parameter', 'https://app.acme.test/cb?tenant=acme&x=1'),
  nearMiss('fragment', 'http://localhost:8080/callback#frag'),
  nearMiss('userinfo before another host', 'http://localhost:8080@evil.test/callback'),
  nearMiss('percent-encoded path', 'http://localhost:8080/%63allback'),
  nearMiss('dot segments', 'http://localhost:8080/x/../callback'),
  nearMiss("another client's callback", SPA_CALLBACK),
  nearMiss('markup in the URI is shown escaped', 'http://localhost:8080/callback"><script>alert(1)</script>'),
  // RFC 8252 §7.3: only a native app's loopback IP callback may take any port; a web app's may not.
  nearMiss('regular web app loopback callback on another port', 'http://127.0.0.1:7001/callback'),
  nearMiss('native loopback callback with another path', 'http://127.0.0.1:53123/other', 'native'),
  nearMiss('native loopback callback by name (localhost)', 'http://localhost:53123/callback', 'native'),
  nearMiss('native loopback callback over https', 'https://127.0.0.1:53123/callback', 'native'),
  nearMiss('native loopback callback with a query', 'http://127.0.0.1:53123/callback?x=1', 'native'),
  nearMiss('native custom scheme with another path', 'com.acme.app:/callback2', 'native'),
];

interface RedirectRow {
  name: string;
  params: Form;
  error: string;
  description: string;
  /** Where the error is expected; CALLBACK unless said. */
  redirectUri?: string;
  /** The response mode used when none is asked for: query for code, fragment for token. */
  mode?: 'query' | 'fragment';
  method?: 'GET' | 'POST';
  headers?: Record<string, string>;
  /** Also run with response_mode=form_post (unless the row is about response_mode). */
  formPost?: boolean;
}

const invalid = (description: string) => ({ error: 'invalid_request', description });

const redirectRows: RedirectRow[] = [
  {
    name: 'missing response_type',
    params: req({ response_type: undefined }),
    ...invalid('Missing required parameter: response_type'),
  },
  {
    name: 'unsupported response_type',
    params: req({ response_type: 'magic' }),
    error: 'unsupported_response_type',
    description: 'Unsupported response type: magic',
  },
  {
    name: 'response_type token for a client without the implicit grant answers in the fragment',
    params: req({ response_type: 'token' }),
    error: 'unauthorized_client',
    description: "Grant type 'implicit' not allowed for the client.",
    mode: 'fragment',
  },
  {
    name: 'unsupported response_mode',
    params: req({ response_mode: 'bogus' }),
    ...invalid('Unsupported response_mode: bogus'),
    formPost: false,
  },
  {
    name: 'response parameter sent twice',
    params: req({}, [['scope', 'email']]),
    ...invalid('Parameter sent more than once: scope'),
  },
  {
    name: 'response_type sent twice',
    params: req({}, [['response_type', 'code']]),
    ...invalid('Parameter sent more than once: response_type'),
  },
  {
    name: 'a client whose grant_types lack authorization_code',
    params: req({ client_id: 'no-code', redirect_uri: 'http://localhost:9000/callback' }),
    redirectUri: 'http://localhost:9000/callback',
    error: 'unauthorized_client',
    description: "Grant type 'authorization_code' not allowed for the client.",
  },
  // PKCE (RFC 7636, OAuth 2.0 Security BCP §2.1.1): S256 only, required of public clients.
  {
    name: 'code_challenge_method=plain',
    params: req({ code_challenge: challenge, code_challenge_method: 'plain' }),
    ...invalid('code_challenge_method must be S256 (plain is not allowed)'),
  },
  {
    name: 'code_challenge without a method (plain by default)',
    params: req({ code_challenge: challenge }),
    ...invalid('code_challenge_method must be S256 (plain is not allowed)'),
  },
  {
    name: 'unknown code_challenge_method',
    params: req({ code_challenge: challenge, code_challenge_method: 'S512' }),
    ...invalid('Unsupported code_challenge_method: S512'),
  },
  {
    name: 'code_challenge_method without a code_challenge',
    params: req({ code_challenge_method: 'S256' }),
    ...invalid('Missing required parameter: code_challenge'),
  },
  {
    name: 'public client without code_challenge',
    params: req({ client_id: 'spa', redirect_uri: SPA_CALLBACK }),
    redirectUri: SPA_CALLBACK,
    ...invalid('Missing required parameter: code_challenge (PKCE is required for public clients)'),
  },
  {
    name: 'native client without code_challenge',
    params: req({ client_id: 'native', redirect_uri: 'http://127.0.0.1:51000/callback' }),
    redirectUri: 'http://127.0.0.1:51000/callback',
    ...invalid('Missing required parameter: code_challenge (PKCE is required for public clients)'),
  },
  {
    name: 'code_challenge too short',
    params: req({ code_challenge: challenge.slice(1), code_challenge_method: 'S256' }),
    ...invalid('code_challenge must be a base64url SHA-256 hash (43 characters)'),
  },
  {
    name: 'code_challenge in base64 (not base64url)',
    params: req({ code_challenge: `${challenge.slice(0, 42)}+`, code_challenge_method: 'S256' }),
    ...invalid('code_challenge must be a base64url SHA-256 hash (43 characters)'),
  },
  // prompt and max_age (OIDC Core §3.1.2.1).
  {
    name: 'prompt=none with no session',
    params: req({ prompt: 'none' }),
    error: 'login_required',
    description: 'Login required',
  },
  {
    name: 'prompt=none with an unknown session cookie',
    params: req({ prompt: 'none' }),
    headers: { cookie: 'gatehouse_session=forged-session-value' },
    error: 'login_required',
    description: 'Login required',
  },
  {
    name: 'prompt=none by POST',
    method: 'POST',
    params: req({ prompt: 'none' }),
    error: 'login_required',
    description: 'Login required',
  },
  { name: 'unknown prompt', params: req({ prompt: 'bogus' }), ...invalid('Unsupported prompt value: bogus') },
  {
    name: 'prompt=none with login',
    params: req({ prompt: 'none login' }),
    ...invalid('prompt=none cannot be combined with other values'),
  },
  {
    name: 'max_age not a number',
    params: req({ max_age: 'soon' }),
    ...invalid('max_age must be a non-negative integer'),
  },
  { name: 'negative max_age', params: req({ max_age: '-1' }), ...invalid('max_age must be a non-negative integer') },
  { name: 'fractional max_age', params: req({ max_age: '1.5' }), ...invalid('max_age must be a non-negative integer') },
  // Audience and connection: Auth0's answers for an unknown API and for a connection the client may not use.
  {
    name: 'unknown audience',
    params: req({ audience: 'https://nowhere.acme.test' }),
    error: 'access_denied',
    description: 'Service not found: https://nowhere.acme.test',
  },
  {
    name: 'connection not enabled for the client',
    params: req({ connection: 'Partners' }),
    ...invalid('The connection "Partners" is not enabled for this application'),
  },
  {
    name: 'unknown connection',
    params: req({ connection: 'Nowhere' }),
    ...invalid('The connection "Nowhere" is not enabled for this application'),
  },
  // ext-* parameters (Auth0 docs: "Customize Universal Login Page Templates").
  {
    name: 'ext-* value with a forbidden character',
    params: req({ 'ext-theme': 'dark<script>' }),
    ...invalid('error parsing ext params: invalid value for ext-theme'),
  },
  {
    name: 'ext-* value over 255 characters',
    params: req({ 'ext-theme': 'a'.repeat(256) }),
    ...invalid('error parsing ext params: invalid value for ext-theme'),
  },
  {
    name: 'ext-* name over 28 characters',
    params: req({ [`ext-${'n'.repeat(29)}`]: 'x' }),
    ...invalid(`error parsing ext params: invalid name ext-${'n'.repeat(29)}`),
  },
  {
    name: 'ext-* name with a forbidden character',
    params: req({ 'ext-a.b': 'x' }),
    ...invalid('error parsing ext params: invalid name ext-a.b'),
  },
  {
    name: 'more than 10 ext-* parameters',
    params: req(Object.fromEntries(Array.from({ length: 11 }, (_, i) => [`ext-p${i}`, 'x']))),
    ...invalid('error parsing ext params: more than 10 ext-* parameters'),
  },
  // No state sent: none echoed, iss still there.
  {
    name: 'an error without state carries no state',
    params: req({ state: undefined, prompt: 'none' }),
    error: 'login_required',
    description: 'Login required',
  },
];

/** Accepted redirect URIs: prompt=none with no session answers login_required at exactly that URI. */
const acceptedRows: { name: string; clientId: string; redirectUri: string }[] = [
  { name: 'exact match', clientId: 'web', redirectUri: CALLBACK },
  {
    name: 'exact match with the registered query kept',
    clientId: 'web',
    redirectUri: 'https://app.acme.test/cb?tenant=acme',
  },
  { name: 'exact match with a trailing slash', clientId: 'web', redirectUri: 'https://app.acme.test/done/' },
  {
    name: 'regular web app loopback callback on its registered port',
    clientId: 'web',
    redirectUri: 'http://127.0.0.1:7000/callback',
  },
  {
    name: 'native loopback callback on its registered (default) port',
    clientId: 'native',
    redirectUri: NATIVE_LOOPBACK,
  },
  {
    name: 'native loopback IPv4 callback on another port (RFC 8252 §7.3)',
    clientId: 'native',
    redirectUri: 'http://127.0.0.1:53123/callback',
  },
  {
    name: 'native loopback IPv6 callback on another port (RFC 8252 §7.3)',
    clientId: 'native',
    redirectUri: 'http://[::1]:4000/callback',
  },
  { name: 'native custom scheme callback', clientId: 'native', redirectUri: 'com.acme.app:/callback' },
];

const OUR_PARAMS = ['error', 'error_description', 'state', 'iss', 'code'];

function expectedParams(row: RedirectRow, issuer: string): Record<string, string> {
  const state = new URLSearchParams(row.params).getAll('state');
  return {
    error: row.error,
    error_description: row.description,
    ...(state.length === 1 ? { state: state[0] } : {}),
    iss: issuer,
  };
}

/** The hidden fields of a form_post page. */
function hiddenFields(html: string): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const match of html.matchAll(/<input type="hidden" name="([^"]*)" value="([^"]*)">/g)) {
    const name = decodeHtml(match[1]);
    assert.equal(fields[name], undefined, `field ${name} twice`);
    fields[name] = decodeHtml(match[2]);
  }
  return fields;
}

/** docs/sign-in.md: the form_post page's CSP allows exactly its auto-submit script, by hash. */
function assertFormPostPage(answer: Answer, redirectUri: string, fields: Record<string, string>) {
  assert.equal(answer.status, 200, answer.text);
  assert.match(answer.headers.get('content-type') ?? '', /^text\/html/);
  assert.equal(answer.headers.get('cache-control'), 'no-store');
  assert.equal(answer.location, undefined);
  const csp = answer.headers.get('content-security-policy') ?? '';
  const directives = Object.fromEntries(
    csp
      .split(';')
      .map((d) => d.trim().split(/\s+/))
      .map(([name, ...values]) => [name, values]),
  );
  assert.deepEqual(directives['default-src'], ["'none'"]);
  assert.deepEqual(directives['frame-ancestors'], ["'none'"]);
  assert.ok(!csp.includes('unsafe-inline') && !csp.includes('unsafe-eval'), csp);
  const scripts = [...answer.text.matchAll(/<script[^>]*>([\s\S]*?)<\/script>/g)];
  assert.equal(scripts.length, 1, answer.text);
  const hash = createHash('sha256').update(scripts[0][1]).digest('base64');
  assert.deepEqual(directives['script-src'], [`'sha256-${hash}'`]);
  assert.deepEqual(directives['form-action'], [new URL(redirectUri).origin]);
  const action = /<form method="post" action="([^"]*)">/.exec(answer.text)?.[1];
  assert.equal(action && decodeHtml(action), redirectUri);
  assert.deepEqual(hiddenFields(answer.text), fields);
}

/** The parameters a redirect carries in its query or fragment; the URI they were added to must be `redirectUri`. */
function redirectParams(location: string, redirectUri: string, mode: 'query' | 'fragment'): Record<string, string> {
  const url = new URL(location);
  const carrier = new URLSearchParams(mode === 'query' ? url.search : url.hash.slice(1));
  const params: Record<string, string> = {};
  for (const [name, value] of carrier) {
    if (!OUR_PARAMS.includes(name)) continue;
    assert.equal(params[name], undefined, `${name} twice in ${location}`);
    params[name] = value;
  }
  for (const name of OUR_PARAMS) carrier.delete(name);
  if (mode === 'query') url.search = carrier.toString();
  else url.hash = carrier.toString();
  assert.equal(url.toString(), redirectUri, `redirected to ${location}`);
  return params;
}

forEachDatabase('/authorize errors', (db) => {
  let server: RunningGatehouse;
  before(async () => {
    server = await startGatehouse({ databaseUrl: db().url, tenant: signInTenant() });
  });
  after(() => server.close());

  const send = (params: Form, method: 'GET' | 'POST' = 'GET', headers?: Record<string, string>) => {
    const browser = new CookieJarClient(server);
    return method === 'GET'
      ? browser.get(`${server.url('/authorize')}?${new URLSearchParams(params).toString()}`, headers)
      : browser.post(server.url('/authorize'), params, headers);
  };

  for (const row of pageRows) {
    test(`error page: ${row.name}`, async () => {
      const answer = await send(row.params, row.method);
      assert.equal(answer.status, 400, answer.text);
      assert.match(answer.headers.get('content-type') ?? '', /^text\/html/);
      // Nothing is redirected while the client or redirect_uri is unverified (RFC 6749 §4.1.2.1).
      assert.equal(answer.location, undefined);
      assert.deepEqual(answer.setCookies, []);
      assert.match(answer.headers.get('content-security-policy') ?? '', /(^|;)\s*frame-ancestors 'none'\s*(;|$)/);
      assert.equal(answer.headers.get('x-frame-options'), 'DENY');
      assert.equal(answer.headers.get('cache-control'), 'no-store');
      assert.ok(decodeHtml(answer.text).includes(row.description), `"${row.description}" not in:\n${answer.text}`);
      assert.ok(!answer.text.includes('<script>alert(1)'), 'markup from the request reached the page unescaped');
    });
  }

  for (const row of redirectRows) {
    const redirectUri = row.redirectUri ?? CALLBACK;
    test(`error to the client: ${row.name}: ${row.error}`, async () => {
      const answer = await send(row.params, row.method, row.headers);
      assert.equal(answer.status, row.method === 'POST' ? 303 : 302, answer.text);
      assert.equal(answer.headers.get('cache-control'), 'no-store');
      assert.deepEqual(answer.setCookies, []);
      assert.deepEqual(
        redirectParams(answer.location!, redirectUri, row.mode ?? 'query'),
        expectedParams(row, server.issuer),
      );
    });
    if (row.formPost === false) continue;
    test(`error to the client as form_post: ${row.name}: ${row.error}`, async () => {
      const params = [...new URLSearchParams(row.params), ['response_mode', 'form_post']] as [string, string][];
      const answer = await send(params, row.method, row.headers);
      assertFormPostPage(answer, redirectUri, expectedParams(row, server.issuer));
    });
  }

  for (const row of acceptedRows) {
    test(`redirect_uri accepted: ${row.name}`, async () => {
      const params = req({
        client_id: row.clientId,
        redirect_uri: row.redirectUri,
        prompt: 'none',
        code_challenge: challenge,
        code_challenge_method: 'S256',
      });
      const answer = await send(params);
      assert.equal(answer.status, 302, answer.text);
      assert.deepEqual(redirectParams(answer.location!, row.redirectUri, 'query'), {
        error: 'login_required',
        error_description: 'Login required',
        state: STATE,
        iss: server.issuer,
      });
    });
  }

  test('an accepted request without prompt=none goes to the login page, with nothing for the client yet', async () => {
    const answer = await send(req());
    assert.equal(answer.status, 302);
    assert.match(answer.location!, /^\/u\/login\?state=[A-Za-z0-9_-]+$/);
  });

  test('unknown parameters such as auth0Client are ignored', async () => {
    const answer = await send(
      req({ auth0Client: 'eyJuYW1lIjoiYXV0aDAtc3BhLWpzIn0=', foo: 'bar', prompt: 'none' }, [['foo', 'baz']]),
    );
    assert.equal(answer.status, 302);
    assert.deepEqual(redirectParams(answer.location!, CALLBACK, 'query'), {
      error: 'login_required',
      error_description: 'Login required',
      state: STATE,
      iss: server.issuer,
    });
  });
});
