// /userinfo takes the access token in exactly one place (RFC 6750 §2): the Authorization header, a
// form-encoded POST body or the access_token query parameter. Two places, or a repeated parameter, are 400
// invalid_request (RFC 6750 §3.1); a GET's body and a JSON body are not places. The query form must never
// reach the request log.
import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { after, before, test } from 'node:test';
import { forEachDatabase } from '../helpers/each-database.js';
import { CALLBACK, signInTenant, users, WEB_SECRET, aliceClaims } from '../helpers/fixtures.js';
import { basicAuth, CookieJarClient, postToken, signIn } from '../helpers/http-client.js';
import { captureLogs } from '../helpers/log-capture.js';
import { type RunningGatehouse, startGatehouse } from '../helpers/server.js';

interface Call {
  method?: 'GET' | 'POST';
  /** The Authorization header. */
  authorization?: string;
  /** The query string after `?`. */
  query?: string;
  body?: string;
  contentType?: string;
}

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Record<string, unknown>;
  text: string;
}

const FORM = 'application/x-www-form-urlencoded';

forEachDatabase('/userinfo: where the access token may be', (db) => {
  let server: RunningGatehouse;
  const logs = captureLogs('info');
  /** Alice's access token with openid profile email, and the claims /userinfo answers for it. */
  let token: string;
  let alice: Record<string, unknown>;

  before(async () => {
    server = await startGatehouse({ databaseUrl: db().url, tenant: signInTenant(), logger: logs.logger });
    const callback = await signIn(
      new CookieJarClient(server),
      { client_id: 'web', redirect_uri: CALLBACK, response_type: 'code', scope: 'openid profile email' },
      users.alice.email,
    );
    const answer = await postToken(
      server,
      { grant_type: 'authorization_code', code: callback.searchParams.get('code')!, redirect_uri: CALLBACK },
      { authorization: basicAuth('web', WEB_SECRET) },
    );
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    token = answer.body.access_token as string;
    const stored = (await server.gatehouse.store.users.get(users.alice.user_id))!;
    alice = aliceClaims(stored.updated_at);
  });
  after(() => server.close());

  /** node:http rather than fetch, which refuses a body on GET. */
  function call({ method = 'GET', authorization, query, body, contentType }: Call): Promise<Answer> {
    const url = new URL(server.url(`/userinfo${query === undefined ? '' : `?${query}`}`));
    const headers: Record<string, string> = {};
    if (authorization) headers.authorization = authorization;
    if (contentType) headers['content-type'] = contentType;
    if (body !== undefined) headers['content-length'] = String(Buffer.byteLength(body));
    return new Promise((resolve, reject) => {
      const outgoing = httpRequest(url, { method, headers }, (response) => {
        let text = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => {
          text += chunk;
        });
        response.on('end', () =>
          resolve({
            status: response.statusCode!,
            headers: response.headers,
            body: JSON.parse(text) as Record<string, unknown>,
            text,
          }),
        );
      });
      outgoing.on('error', reject);
      outgoing.end(body);
    });
  }

  const form = (params: Record<string, string> | [string, string][]) => new URLSearchParams(params).toString();

  const accepted: { name: string; call: () => Call }[] = [
    { name: 'the Authorization header (GET)', call: () => ({ authorization: `Bearer ${token}` }) },
    { name: 'the Authorization header (POST)', call: () => ({ method: 'POST', authorization: `Bearer ${token}` }) },
    {
      name: 'a form-encoded POST body',
      call: () => ({ method: 'POST', body: form({ access_token: token }), contentType: FORM }),
    },
    {
      name: 'a form-encoded POST body with a charset',
      call: () => ({ method: 'POST', body: form({ access_token: token }), contentType: `${FORM}; charset=UTF-8` }),
    },
    { name: 'the query (GET)', call: () => ({ query: form({ access_token: token }) }) },
    { name: 'the query (POST without a body)', call: () => ({ method: 'POST', query: form({ access_token: token }) }) },
    {
      name: 'the header, with a form body on GET (a GET body is not a place)',
      call: () => ({ authorization: `Bearer ${token}`, body: form({ access_token: token }), contentType: FORM }),
    },
    {
      name: 'the header, with access_token in a JSON body (not a place)',
      call: () => ({
        method: 'POST',
        authorization: `Bearer ${token}`,
        body: JSON.stringify({ access_token: token }),
        contentType: 'application/json',
      }),
    },
    {
      name: 'the query, with Basic credentials (not a bearer method)',
      call: () => ({ authorization: basicAuth('web', WEB_SECRET), query: form({ access_token: token }) }),
    },
  ];

  for (const row of accepted) {
    test(`the token in ${row.name}: 200 with Alice's claims`, async () => {
      const answer = await call(row.call());
      assert.equal(answer.status, 200, answer.text);
      assert.deepEqual(answer.body, alice);
      assert.equal(answer.headers['cache-control'], 'no-store');
    });
  }

  const twoMethods = 'The access token was sent by more than one method';
  const repeated = 'Parameter sent more than once: access_token';
  const refused: { name: string; call: () => Call; description: string }[] = [
    {
      name: 'the header and the query',
      call: () => ({ authorization: `Bearer ${token}`, query: form({ access_token: token }) }),
      description: twoMethods,
    },
    {
      name: 'the header and a form body',
      call: () => ({
        method: 'POST',
        authorization: `Bearer ${token}`,
        body: form({ access_token: token }),
        contentType: FORM,
      }),
      description: twoMethods,
    },
    {
      name: 'a form body and the query',
      call: () => ({
        method: 'POST',
        query: form({ access_token: token }),
        body: form({ access_token: token }),
        contentType: FORM,
      }),
      description: twoMethods,
    },
    {
      name: 'all three',
      call: () => ({
        method: 'POST',
        authorization: `Bearer ${token}`,
        query: form({ access_token: token }),
        body: form({ access_token: token }),
        contentType: FORM,
      }),
      description: twoMethods,
    },
    {
      name: 'a malformed header and the query',
      call: () => ({ authorization: 'Bearer', query: form({ access_token: token }) }),
      description: twoMethods,
    },
    {
      name: 'the query twice',
      call: () => ({
        query: form([
          ['access_token', token],
          ['access_token', token],
        ]),
      }),
      description: repeated,
    },
    {
      name: 'a form body with access_token twice',
      call: () => ({
        method: 'POST',
        body: form([
          ['access_token', token],
          ['access_token', token],
        ]),
        contentType: FORM,
      }),
      description: repeated,
    },
  ];

  for (const row of refused) {
    test(`the token in ${row.name}: 400 invalid_request with a Bearer challenge`, async () => {
      const answer = await call(row.call());
      assert.equal(answer.status, 400, answer.text);
      assert.deepEqual(answer.body, { error: 'invalid_request', error_description: row.description });
      assert.equal(
        answer.headers['www-authenticate'],
        `Bearer error="invalid_request", error_description="${row.description}"`,
      );
      assert.equal(answer.headers['cache-control'], 'no-store');
    });
  }

  const missing = { error: 'invalid_token', error_description: 'Missing or malformed bearer token' };
  const unauthorized: { name: string; call: () => Call; body: Record<string, string>; challenge: RegExp }[] = [
    {
      name: 'only a form body on GET',
      call: () => ({ body: form({ access_token: token }), contentType: FORM }),
      body: missing,
      challenge: /^Bearer realm="Gatehouse"$/,
    },
    {
      // RFC 6750 §2.2 allows the body only when it is application/x-www-form-urlencoded.
      name: 'only a JSON body',
      call: () => ({
        method: 'POST',
        body: JSON.stringify({ access_token: token }),
        contentType: 'application/json',
      }),
      body: missing,
      challenge: /^Bearer realm="Gatehouse"$/,
    },
    {
      name: 'an empty query parameter',
      call: () => ({ query: 'access_token=' }),
      body: missing,
      challenge: /^Bearer realm="Gatehouse"$/,
    },
    {
      name: 'a query token that is not ours',
      call: () => ({ query: form({ access_token: 'abc.def.ghi' }) }),
      body: { error: 'invalid_token', error_description: 'The access token is invalid or expired' },
      challenge: /^Bearer error="invalid_token"/,
    },
    {
      name: 'a form token that is not ours',
      call: () => ({ method: 'POST', body: form({ access_token: 'abc.def.ghi' }), contentType: FORM }),
      body: { error: 'invalid_token', error_description: 'The access token is invalid or expired' },
      challenge: /^Bearer error="invalid_token"/,
    },
  ];

  for (const row of unauthorized) {
    test(`${row.name}: 401 invalid_token`, async () => {
      const answer = await call(row.call());
      assert.equal(answer.status, 401, answer.text);
      assert.deepEqual(answer.body, row.body);
      assert.match(String(answer.headers['www-authenticate']), row.challenge);
      assert.equal(answer.headers['cache-control'], 'no-store');
    });
  }

  test('the request log shows the query token as [redacted], and no line holds a token', async () => {
    const answer = await call({ query: form({ access_token: token, probe: 'log' }) });
    assert.equal(answer.status, 200, answer.text);
    const urls = logs.lines.map((line) => (line.req as { url?: string } | undefined)?.url).filter(Boolean);
    assert.ok(
      urls.includes('/userinfo?access_token=%5Bredacted%5D&probe=log'),
      `no redacted /userinfo line in:\n${urls.join('\n')}`,
    );
    // Every request of this suite so far, the header, body and query forms alike.
    assert.ok(!JSON.stringify(logs.lines).includes(token), 'an access token reached the log');
  });
});
