// What a client sees when its token request is wrong: the status, the whole {error, error_description}
// body, Cache-Control: no-store and the Basic challenge, as tables of raw HTTP requests. Nothing a client
// sends may produce a 500 or a stack trace.
import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { after, before, test } from 'node:test';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { forEachDatabase } from '../helpers/each-database.js';
import { type RunningGatehouse, startGatehouse } from '../helpers/server.js';
import { acmeTenant, API, m2mClient, SECRET_BASIC, SECRET_POST } from '../helpers/fixtures.js';

interface TokenCall {
  method?: string;
  headers?: Record<string, string>;
  body?: string;
  /** Send the body with Transfer-Encoding: chunked (no Content-Length), so the limit is met while streaming. */
  chunked?: boolean;
}

interface Row {
  name: string;
  request: TokenCall;
  status: number;
  body: { error: string; error_description: string };
}

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

const AUTH_FAILED = { error: 'invalid_client', error_description: 'Client authentication failed' };
const TWO_METHODS = {
  error: 'invalid_request',
  error_description: 'Only one client authentication method may be used per request',
};
const MALFORMED_BASIC = { error: 'invalid_request', error_description: 'Malformed Authorization header' };
const BAD_CONTENT_TYPE = {
  error: 'invalid_request',
  error_description: 'Content-Type must be application/x-www-form-urlencoded or application/json',
};
const UNPARSABLE = { error: 'invalid_request', error_description: 'The request body could not be parsed' };
const NOT_AN_OBJECT = { error: 'invalid_request', error_description: 'The request body must be an object' };
const notAllowed = (grant: string) => ({
  error: 'unauthorized_client',
  error_description: `Grant type '${grant}' not allowed for the client.`,
});

const FORM = 'application/x-www-form-urlencoded';

/** A form body; pairs allow a name to repeat. */
function form(params: Record<string, string> | [string, string][], headers: Record<string, string> = {}): TokenCall {
  return { headers: { 'content-type': FORM, ...headers }, body: new URLSearchParams(params).toString() };
}

function json(value: unknown, headers: Record<string, string> = {}): TokenCall {
  return { headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(value) };
}

/** RFC 6749 §2.3.1: client_id and secret are form-urlencoded, then joined by ':' and base64-encoded. */
function basic(clientId: string, secret: string, { encode = true } = {}): string {
  const enc = (s: string) => (encode ? new URLSearchParams({ s }).toString().slice(2) : s);
  return `Basic ${Buffer.from(`${enc(clientId)}:${enc(secret)}`).toString('base64')}`;
}

const rawBasic = (decoded: string) => `Basic ${Buffer.from(decoded).toString('base64')}`;

const cc = { grant_type: 'client_credentials', audience: API };
const post = { ...cc, client_id: 'm2m-post', client_secret: SECRET_POST };

const rows: Row[] = [
  // Client authentication (RFC 6749 §2.3, §5.2).
  {
    name: 'wrong secret with client_secret_basic',
    request: form(cc, { authorization: basic('m2m-basic', `${SECRET_BASIC}x`) }),
    status: 401,
    body: AUTH_FAILED,
  },
  {
    name: 'wrong secret with client_secret_post',
    request: form({ ...post, client_secret: `${SECRET_POST}x` }),
    status: 401,
    body: AUTH_FAILED,
  },
  { name: 'empty client_secret', request: form({ ...post, client_secret: '' }), status: 401, body: AUTH_FAILED },
  {
    name: 'unknown client with Basic',
    request: form(cc, { authorization: basic('nobody', SECRET_BASIC) }),
    status: 401,
    body: AUTH_FAILED,
  },
  {
    name: 'unknown client with client_secret_post',
    request: form({ ...post, client_id: 'nobody' }),
    status: 401,
    body: AUTH_FAILED,
  },
  {
    name: 'confidential client sending no secret',
    request: form({ ...cc, client_id: 'm2m-post' }),
    status: 401,
    body: AUTH_FAILED,
  },
  {
    name: 'client_secret_basic client sending its secret in the body',
    request: form({ ...cc, client_id: 'm2m-basic', client_secret: SECRET_BASIC }),
    status: 401,
    body: AUTH_FAILED,
  },
  {
    name: 'client_secret_post client sending its secret with Basic',
    request: form(cc, { authorization: basic('m2m-post', SECRET_POST) }),
    status: 401,
    body: AUTH_FAILED,
  },
  {
    // RFC 6749 §2.3.1: the password is form-urlencoded, so an unencoded '+' decodes to a space.
    name: "Basic secret containing '+' sent without form-urlencoding",
    request: form(cc, { authorization: basic('m2m-basic', SECRET_BASIC, { encode: false }) }),
    status: 401,
    body: AUTH_FAILED,
  },
  {
    name: 'public client sending a client_secret',
    request: form({ ...cc, client_id: 'spa', client_secret: SECRET_POST }),
    status: 401,
    body: AUTH_FAILED,
  },
  {
    name: 'no client authentication and no client_id',
    request: form(cc),
    status: 400,
    body: { error: 'invalid_request', error_description: 'Missing required parameter: client_id' },
  },

  // More than one authentication method (RFC 6749 §2.3).
  {
    name: 'Basic and client_secret together',
    request: form({ ...post, client_id: 'm2m-basic' }, { authorization: basic('m2m-basic', SECRET_BASIC) }),
    status: 400,
    body: TWO_METHODS,
  },
  {
    name: 'client_secret and client_assertion together',
    request: form({
      ...post,
      client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
      client_assertion: 'a.b.c',
    }),
    status: 400,
    body: TWO_METHODS,
  },
  {
    name: 'Basic and client_assertion together',
    request: form(
      {
        ...cc,
        client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
        client_assertion: 'a.b.c',
      },
      { authorization: basic('m2m-basic', SECRET_BASIC) },
    ),
    status: 400,
    body: TWO_METHODS,
  },
  {
    name: 'Basic header and a different client_id in the body',
    request: form({ ...cc, client_id: 'm2m-post' }, { authorization: basic('m2m-basic', SECRET_BASIC) }),
    status: 400,
    body: { error: 'invalid_request', error_description: 'client_id does not match the Authorization header' },
  },

  // Malformed Basic credentials.
  {
    name: 'Basic credentials that are not base64',
    request: form(cc, { authorization: 'Basic %%%not-base64%%%' }),
    status: 400,
    body: MALFORMED_BASIC,
  },
  {
    name: 'Basic credentials without a colon',
    request: form(cc, { authorization: rawBasic('m2m-basic') }),
    status: 400,
    body: MALFORMED_BASIC,
  },
  {
    name: 'Basic credentials with an empty client id',
    request: form(cc, { authorization: rawBasic(`:${SECRET_BASIC}`) }),
    status: 400,
    body: MALFORMED_BASIC,
  },
  {
    name: 'Basic credentials with bad percent-encoding',
    request: form(cc, { authorization: rawBasic('m2m-basic:%zz%') }),
    status: 400,
    body: MALFORMED_BASIC,
  },
  {
    name: 'Basic scheme without credentials',
    request: form(cc, { authorization: 'Basic' }),
    status: 400,
    body: MALFORMED_BASIC,
  },
  {
    name: 'a Bearer token instead of Basic',
    request: form(cc, { authorization: 'Bearer abc.def.ghi' }),
    status: 400,
    body: MALFORMED_BASIC,
  },

  // grant_type: known names first (RFC 6749 §5.2 unsupported_grant_type), then the client's grant_types (unauthorized_client).
  {
    name: 'missing grant_type',
    request: form({ audience: API, client_id: 'm2m-post', client_secret: SECRET_POST }),
    status: 400,
    body: { error: 'invalid_request', error_description: 'Missing required parameter: grant_type' },
  },
  {
    name: 'empty grant_type',
    request: form({ ...post, grant_type: '' }),
    status: 400,
    body: { error: 'invalid_request', error_description: 'Missing required parameter: grant_type' },
  },
  {
    name: 'unknown grant_type',
    request: form({ ...post, grant_type: 'magic' }),
    status: 400,
    body: { error: 'unsupported_grant_type', error_description: 'Unsupported grant type: magic' },
  },
  {
    name: 'unknown grant_type is reported before a wrong secret',
    request: form({ ...post, grant_type: 'magic', client_secret: 'wrong' }),
    status: 400,
    body: { error: 'unsupported_grant_type', error_description: 'Unsupported grant type: magic' },
  },
  {
    name: 'implicit is a client grant type, not a token grant',
    request: form({ ...post, grant_type: 'implicit' }),
    status: 400,
    body: { error: 'unsupported_grant_type', error_description: 'Unsupported grant type: implicit' },
  },
  {
    name: 'client_credentials not enabled for the client',
    request: form({ ...post, client_id: 'web-no-cc' }),
    status: 403,
    body: notAllowed('client_credentials'),
  },
  {
    name: 'password: a known grant the client does not list',
    request: form({ ...post, grant_type: 'password', username: 'a@acme.test', password: 'x' }),
    status: 403,
    body: notAllowed('password'),
  },
  {
    name: 'device_code: a known grant the client does not list',
    request: form({ ...post, grant_type: 'urn:ietf:params:oauth:grant-type:device_code', device_code: 'x' }),
    status: 403,
    body: notAllowed('urn:ietf:params:oauth:grant-type:device_code'),
  },
  {
    name: 'public client asking for client_credentials',
    request: form({ ...cc, client_id: 'spa' }),
    status: 403,
    body: notAllowed('client_credentials'),
  },

  // Audience, client grant and scope: Auth0's access_denied answers.
  {
    name: 'unknown audience',
    request: form({ ...post, audience: 'https://nowhere.acme.test' }),
    status: 403,
    body: { error: 'access_denied', error_description: 'Service not found: https://nowhere.acme.test' },
  },
  ...[
    [
      'no audience and no default_audience',
      { grant_type: 'client_credentials', client_id: 'm2m-post', client_secret: SECRET_POST },
    ],
    ['empty audience and no default_audience', { ...post, audience: '' }],
  ].map(([name, params]) => ({
    name: name as string,
    request: form(params as Record<string, string>),
    status: 403,
    body: {
      error: 'access_denied',
      error_description: 'No audience parameter was provided, and no default audience has been configured',
    },
  })),
  {
    name: 'no client grant for the audience',
    request: form(
      { ...cc, audience: 'https://ungranted.acme.test' },
      { authorization: basic('m2m-basic', SECRET_BASIC) },
    ),
    status: 403,
    body: {
      error: 'access_denied',
      error_description:
        'Client is not authorized to access "https://ungranted.acme.test". You need to create a client grant associated to this API.',
    },
  },
  {
    name: 'a scope of the API that the client grant lacks',
    request: form({ ...post, scope: 'read:items write:items' }),
    status: 403,
    body: { error: 'access_denied', error_description: 'Client has not been granted scopes: write:items' },
  },
  {
    name: 'a scope the API does not define',
    request: form({ ...cc, scope: 'read:items admin:everything' }, { authorization: basic('m2m-basic', SECRET_BASIC) }),
    status: 403,
    body: { error: 'access_denied', error_description: 'Client has not been granted scopes: admin:everything' },
  },

  // Parameters sent twice (RFC 6749 §3.2) and values that are not strings.
  {
    name: 'audience repeated in a form body',
    request: form([...Object.entries(post), ['audience', 'https://short.acme.test']]),
    status: 400,
    body: { error: 'invalid_request', error_description: 'Parameter sent more than once: audience' },
  },
  {
    name: 'grant_type repeated in a form body',
    request: form([...Object.entries(post), ['grant_type', 'client_credentials']]),
    status: 400,
    body: { error: 'invalid_request', error_description: 'Parameter sent more than once: grant_type' },
  },
  {
    name: 'client_secret repeated in a form body',
    request: form([...Object.entries(post), ['client_secret', 'other']]),
    status: 400,
    body: { error: 'invalid_request', error_description: 'Parameter sent more than once: client_secret' },
  },
  {
    name: 'repeated parameter with a charset and an upper-case Content-Type',
    request: {
      headers: { 'content-type': 'Application/X-WWW-Form-Urlencoded; charset=UTF-8' },
      body: new URLSearchParams([...Object.entries(post), ['scope', 'a'], ['scope', 'b']]).toString(),
    },
    status: 400,
    body: { error: 'invalid_request', error_description: 'Parameter sent more than once: scope' },
  },
  {
    name: 'a number as a JSON parameter',
    request: json({ ...post, audience: 42 }),
    status: 400,
    body: { error: 'invalid_request', error_description: 'Invalid parameter: audience must be a string' },
  },
  {
    name: 'an object as a JSON client_secret',
    request: json({ ...post, client_secret: { $ne: '' } }),
    status: 400,
    body: { error: 'invalid_request', error_description: 'Invalid parameter: client_secret must be a string' },
  },
  {
    name: 'an array as a JSON grant_type',
    request: json({ ...post, grant_type: ['client_credentials'] }),
    status: 400,
    body: { error: 'invalid_request', error_description: 'Invalid parameter: grant_type must be a string' },
  },
  {
    name: 'null as a JSON client_id',
    request: json({ ...post, client_id: null }),
    status: 400,
    body: { error: 'invalid_request', error_description: 'Invalid parameter: client_id must be a string' },
  },

  // Bodies that are neither form nor JSON, or not an object, or too large.
  {
    name: 'text/plain body',
    request: { headers: { 'content-type': 'text/plain' }, body: new URLSearchParams(post).toString() },
    status: 400,
    body: BAD_CONTENT_TYPE,
  },
  {
    name: 'multipart/form-data body',
    request: {
      headers: { 'content-type': 'multipart/form-data; boundary=x' },
      body: '--x\r\nContent-Disposition: form-data; name="grant_type"\r\n\r\nclient_credentials\r\n--x--\r\n',
    },
    status: 400,
    body: BAD_CONTENT_TYPE,
  },
  {
    name: 'malformed JSON',
    request: { headers: { 'content-type': 'application/json' }, body: '{"grant_type": "client_credentials",' },
    status: 400,
    body: UNPARSABLE,
  },
  {
    name: 'empty JSON body',
    request: { headers: { 'content-type': 'application/json' }, body: '' },
    status: 400,
    body: UNPARSABLE,
  },
  {
    name: 'JSON with a __proto__ key',
    request: {
      headers: { 'content-type': 'application/json' },
      body: `{"grant_type":"client_credentials","__proto__":{"client_secret":"x"}}`,
    },
    status: 400,
    body: UNPARSABLE,
  },
  { name: 'JSON array body', request: json([post]), status: 400, body: NOT_AN_OBJECT },
  { name: 'JSON string body', request: json('grant_type=client_credentials'), status: 400, body: NOT_AN_OBJECT },
  { name: 'JSON null body', request: json(null), status: 400, body: NOT_AN_OBJECT },
  {
    name: 'POST without a body',
    request: { headers: { authorization: basic('m2m-basic', SECRET_BASIC) } },
    status: 400,
    body: { error: 'invalid_request', error_description: 'Missing required parameter: grant_type' },
  },
  {
    name: 'form body over 64 KiB',
    request: form({ ...post, padding: 'a'.repeat(64 * 1024) }),
    status: 413,
    body: { error: 'invalid_request', error_description: 'Request body is too large' },
  },
  {
    name: 'chunked JSON body over 64 KiB',
    request: { ...json({ ...post, padding: 'a'.repeat(64 * 1024) }), chunked: true },
    status: 413,
    body: { error: 'invalid_request', error_description: 'Request body is too large' },
  },
  {
    name: 'GET instead of POST',
    request: { method: 'GET', headers: { authorization: basic('m2m-basic', SECRET_BASIC) } },
    status: 400,
    body: { error: 'invalid_request', error_description: 'The token endpoint accepts only POST' },
  },
];

forEachDatabase('token endpoint errors', (db) => {
  let server: RunningGatehouse;
  let jwks: ReturnType<typeof createRemoteJWKSet>;
  const answers: { name: string; answer: Answer }[] = [];
  before(async () => {
    server = await startGatehouse({ databaseUrl: db().url, tenant: acmeTenant() });
    jwks = createRemoteJWKSet(new URL(server.url('/.well-known/jwks.json')));
  });
  after(() => server.close());

  async function call(name: string, call: TokenCall): Promise<Answer> {
    const answer = await send(server.url('/oauth/token'), call);
    answers.push({ name, answer });
    return answer;
  }

  for (const row of rows) {
    test(`${row.name}: ${row.status} ${row.body.error}`, async () => {
      const answer = await call(row.name, row.request);
      assert.equal(answer.status, row.status, answer.text);
      assert.deepEqual(JSON.parse(answer.text), row.body);
      assert.equal(answer.headers['cache-control'], 'no-store');
      assert.match(String(answer.headers['content-type']), /^application\/json/);
      // RFC 6749 §5.2: a 401 answers a client that used Basic with a Basic challenge, and only then.
      const usedBasic = /^basic\b/i.test(row.request.headers?.authorization ?? '');
      if (row.status === 401 && usedBasic) assert.match(String(answer.headers['www-authenticate']), /^Basic /);
      else assert.equal(answer.headers['www-authenticate'], undefined);
    });
  }

  const accepted: { name: string; request: TokenCall; audience: string; scope: string; clientId: string }[] = [
    {
      name: 'unknown form parameters are ignored',
      request: form({ ...post, prompt: 'none', foo: 'bar', 'ext-x': 'y', client_assertion_typo: 'z' }),
      audience: API,
      scope: 'read:items',
      clientId: 'm2m-post',
    },
    {
      name: 'unknown JSON parameters are ignored, whatever their type',
      request: json({
        ...post,
        auth0Client: { name: 'auth0-node', version: '4' },
        retries: 3,
        flags: [1, 2],
        note: null,
      }),
      audience: API,
      scope: 'read:items',
      clientId: 'm2m-post',
    },
    {
      name: 'a repeated unknown form parameter is ignored',
      request: form([...Object.entries(post), ['foo', '1'], ['foo', '2']]),
      audience: API,
      scope: 'read:items',
      clientId: 'm2m-post',
    },
    {
      name: 'a special-character secret form-urlencoded in Basic (RFC 6749 §2.3.1)',
      request: form({ ...cc, scope: 'read:items' }, { authorization: basic('m2m-basic', SECRET_BASIC) }),
      audience: API,
      scope: 'read:items',
      clientId: 'm2m-basic',
    },
    {
      name: 'Basic with the same client_id repeated in the body',
      request: form(
        { ...cc, client_id: 'm2m-basic', scope: 'read:items' },
        { authorization: basic('m2m-basic', SECRET_BASIC) },
      ),
      audience: API,
      scope: 'read:items',
      clientId: 'm2m-basic',
    },
    {
      name: 'JSON with a charset in its Content-Type',
      request: json(post, { 'content-type': 'application/json; charset=utf-8' }),
      audience: API,
      scope: 'read:items',
      clientId: 'm2m-post',
    },
  ];
  for (const row of accepted) {
    test(`${row.name}: 200`, async () => {
      const answer = await call(row.name, row.request);
      assert.equal(answer.status, 200, answer.text);
      assert.equal(answer.headers['cache-control'], 'no-store');
      const body = JSON.parse(answer.text);
      assert.deepEqual(Object.keys(body).sort(), ['access_token', 'expires_in', 'scope', 'token_type']);
      assert.equal(body.scope, row.scope);
      const { payload } = await jwtVerify(body.access_token, jwks, { issuer: server.issuer, audience: row.audience });
      assert.equal(payload.client_id, row.clientId);
    });
  }

  test('no answer above is a 500 or carries a stack trace', () => {
    assert.equal(answers.length, rows.length + accepted.length);
    for (const { name, answer } of answers) {
      assert.notEqual(answer.status, 500, name);
      assert.ok(!/at .*\(/.test(answer.text), `${name}: ${answer.text}`);
      assert.ok(!/node_modules|\/src\/|Error:/.test(answer.text), `${name}: ${answer.text}`);
    }
  });
});

forEachDatabase('token endpoint with a tenant default_audience', (db) => {
  let server: RunningGatehouse;
  let jwks: ReturnType<typeof createRemoteJWKSet>;
  before(async () => {
    server = await startGatehouse({
      databaseUrl: db().url,
      tenant: {
        ...acmeTenant({
          clients: [
            m2mClient({
              client_id: 'm2m-ungranted',
              client_secret: SECRET_POST,
              name: 'M2M without grant',
              token_endpoint_auth_method: 'client_secret_post',
            }),
          ],
        }),
        tenant: { friendly_name: 'Acme', default_audience: API },
      },
    });
    jwks = createRemoteJWKSet(new URL(server.url('/.well-known/jwks.json')));
  });
  after(() => server.close());

  const cases: { name: string; params: Record<string, string>; audience: string; scope: string }[] = [
    {
      name: 'audience omitted: the default_audience is used',
      params: { grant_type: 'client_credentials' },
      audience: API,
      scope: 'read:items write:items delete:items',
    },
    {
      name: 'empty audience: the default_audience is used',
      params: { grant_type: 'client_credentials', audience: '' },
      audience: API,
      scope: 'read:items write:items delete:items',
    },
    {
      name: 'an explicit audience wins over the default',
      params: { grant_type: 'client_credentials', audience: 'https://authz.acme.test' },
      audience: 'https://authz.acme.test',
      scope: 'read:items',
    },
  ];
  for (const c of cases) {
    test(c.name, async () => {
      const answer = await send(
        server.url('/oauth/token'),
        form(c.params, { authorization: basic('m2m-basic', SECRET_BASIC) }),
      );
      assert.equal(answer.status, 200, answer.text);
      assert.equal(answer.headers['cache-control'], 'no-store');
      const body = JSON.parse(answer.text);
      assert.equal(body.scope, c.scope);
      const { payload } = await jwtVerify(body.access_token, jwks, { issuer: server.issuer, audience: c.audience });
      assert.equal(payload.aud, c.audience);
      assert.equal(payload.sub, 'm2m-basic@clients');
    });
  }

  test('the default audience still needs a client grant and the scopes asked for', async () => {
    const ungranted = await send(
      server.url('/oauth/token'),
      form({ grant_type: 'client_credentials', client_id: 'm2m-ungranted', client_secret: SECRET_POST }),
    );
    assert.equal(ungranted.status, 403, ungranted.text);
    assert.deepEqual(JSON.parse(ungranted.text), {
      error: 'access_denied',
      error_description: `Client is not authorized to access "${API}". You need to create a client grant associated to this API.`,
    });
    const narrow = await send(
      server.url('/oauth/token'),
      form({
        grant_type: 'client_credentials',
        client_id: 'm2m-post',
        client_secret: SECRET_POST,
        scope: 'write:items',
      }),
    );
    assert.equal(narrow.status, 403, narrow.text);
    assert.deepEqual(JSON.parse(narrow.text), {
      error: 'access_denied',
      error_description: 'Client has not been granted scopes: write:items',
    });
  });
});

/** One raw HTTP request, so headers, methods and chunked bodies are exactly what the row says. */
function send(url: string, call: TokenCall): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const body = call.body === undefined ? undefined : Buffer.from(call.body);
    const headers: Record<string, string | number> = { ...call.headers };
    if (body && !call.chunked) headers['content-length'] = body.length;
    if (body && call.chunked) headers['transfer-encoding'] = 'chunked';
    const req = httpRequest(url, { method: call.method ?? 'POST', headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () =>
        resolve({ status: res.statusCode!, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') }),
      );
      res.on('error', reject);
    });
    req.on('error', reject);
    if (body && call.chunked) {
      // Several chunks, so the server sees the limit crossed mid-stream.
      for (let i = 0; i < body.length; i += 8192) req.write(body.subarray(i, i + 8192));
    } else if (body) req.write(body);
    req.end();
  });
}
