// The hostile-input suites' shrunk counterexamples, kept as plain requests: each answered 500 before its fix.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { type AdminApi, startWithAdmin } from '../helpers/admin-api.js';
import { forEachDatabase } from '../helpers/each-database.js';
import { tenant } from '../helpers/fixtures.js';

const pageTooLarge = {
  statusCode: 400,
  error: 'Bad Request',
  message: "Query validation error: 'must be <= 2147483647' on property page.",
  errorCode: 'invalid_query_string',
};

/** [name, method, path, body, status, answer]. */
const rows: [string, string, string, string | undefined, number, unknown][] = [
  // Auth0 "Pagination": page is a 0-based integer; JSON Schema's integer admits 1e309 (Infinity) and 1e20.
  ['page=1e309 (Infinity) on /clients', 'GET', '/clients?page=1e309', undefined, 400, pageTooLarge],
  ['page=1e20 on /roles', 'GET', '/roles?page=1e20', undefined, 400, pageTooLarge],
  ['the last page there may be', 'GET', '/roles?page=2147483647&per_page=100', undefined, 200, []],
  // Lucene's default field: a bare term is a value, even one named like an Object.prototype property.
  ['a search for the bare term __proto__', 'GET', '/users?q=__proto__', undefined, 200, []],
  ['a search for the bare term toString', 'GET', '/users?q=toString', undefined, 200, []],
  [
    'a search in the field constructor',
    'GET',
    '/users?q=constructor:x',
    undefined,
    400,
    {
      statusCode: 400,
      error: 'Bad Request',
      message: "Query validation error: 'q' is not a valid query: constructor is not a searchable field.",
      errorCode: 'invalid_query_string',
    },
  ],
  [
    'an e-mail template link lifetime past a 32-bit integer',
    'PATCH',
    '/email-templates/verify_email',
    '{"urlLifetimeInSeconds": 1e300}',
    400,
    {
      statusCode: 400,
      error: 'Bad Request',
      message: "Payload validation error: 'must be <= 2147483647' on property urlLifetimeInSeconds.",
      errorCode: 'invalid_body',
    },
  ],
];

forEachDatabase('Management API requests the fuzzer found answered 500', (db) => {
  let it: AdminApi;
  before(async () => {
    it = await startWithAdmin(db(), tenant());
  });
  after(() => it?.server.close());

  for (const [name, method, path, body, status, answer] of rows) {
    test(`${name}: ${status}`, async () => {
      const response = await it.call(path, it.adminToken, { method, body });
      assert.equal(response.status, status, JSON.stringify(response.body));
      assert.deepEqual(response.body, answer);
    });
  }
});

const unreadable = { error: 'invalid_request', error_description: 'The request body could not be parsed' };
const unreadableApi = {
  statusCode: 400,
  error: 'Bad Request',
  message: 'The request body could not be parsed',
  errorCode: 'invalid_body',
};
const unreadableSignup = {
  name: 'BadRequestError',
  code: 'bad.request',
  description: 'The request body could not be read',
  statusCode: 400,
  error: 'bad.request',
  error_description: 'The request body could not be read',
};

/** [name, method, path, JSON body, status, answer (a string: the page's content type)] for U+0000 in a parameter. */
const nulRows: [string, string, string, string | undefined, number, unknown][] = [
  [
    'a client_id at /oauth/token',
    'POST',
    '/oauth/token',
    '{"client_id":"a\\u0000","grant_type":"client_credentials"}',
    400,
    unreadable,
  ],
  ['a role name', 'POST', '/api/v2/roles', '{"name":"a\\u0000b"}', 400, unreadableApi],
  ['a user id in the path', 'GET', '/api/v2/users/auth0%7C%00', undefined, 400, unreadableApi],
  ['an e-mail in the query', 'GET', '/api/v2/users-by-email?email=%00', undefined, 400, unreadableApi],
  [
    'a sign-up name',
    'POST',
    '/dbconnections/signup',
    '{"client_id":"web","connection":"Username-Password-Authentication","email":"n@acme.test","password":"Sunny-Meadow-42","name":"\\u0000"}',
    400,
    unreadableSignup,
  ],
  ['a client_id at /authorize', 'GET', '/authorize?client_id=%00&response_type=code', undefined, 400, 'text/html'],
  ['a login state', 'GET', '/u/login?state=%00', undefined, 400, 'text/html'],
];

forEachDatabase('Parameters holding U+0000 (PostgreSQL text cannot hold one)', (db) => {
  let it: AdminApi;
  before(async () => {
    it = await startWithAdmin(db(), tenant());
  });
  after(() => it?.server.close());

  for (const [name, method, path, body, status, answer] of nulRows) {
    test(`${name}: ${status}`, async () => {
      const response = await fetch(it.server.url(path), {
        method,
        headers: {
          ...(path.startsWith('/api/v2') ? { authorization: `Bearer ${it.adminToken}` } : {}),
          ...(body ? { 'content-type': 'application/json' } : {}),
        },
        body,
      });
      const text = await response.text();
      assert.equal(response.status, status, text);
      if (typeof answer === 'string')
        assert.match(response.headers.get('content-type') ?? '', new RegExp(`^${answer}`));
      else assert.deepEqual(JSON.parse(text), answer);
    });
  }
});
