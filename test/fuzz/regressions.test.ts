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
