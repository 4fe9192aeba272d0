// One quick hostile-input property on PostgreSQL: the answers do not depend on the database, but its driver's
// messages (out of range, invalid byte sequence, value too long) differ from SQLite's and must not leak either.
// A mix of the endpoints that write what they are sent: /oauth/token, /dbconnections/signup, /api/v2.
import { after, before, test } from 'node:test';
import fc from 'fast-check';
import { forEachDatabase } from '../helpers/each-database.js';
import { DB } from '../helpers/fixtures.js';
import { bodyOf, fuzzParameters, headersOf, oddJson, paramsOf, rawRequest, type Shape } from './harness.js';
import { type FuzzTarget, startFuzzTarget } from './target.js';

const fields = [
  'client_id',
  'email',
  'password',
  'connection',
  'name',
  'user_id',
  'grant_type',
  'refresh_token',
  'page',
];
const targets: [string, string, Shape][] = [
  ['POST', '/oauth/token', 'oauth'],
  ['POST', '/dbconnections/signup', 'dbconnections'],
  ['POST', '/api/v2/users', 'management'],
  ['POST', '/api/v2/roles', 'management'],
  ['PATCH', '/api/v2/users/auth0%7Calice', 'management'],
  ['GET', '/api/v2/users', 'management'],
];

forEachDatabase('Hostile input reaching the database', (db, kind) => {
  if (kind.name === 'SQLite') {
    test('writes of generated values answer 2xx or 4xx with no driver message', {
      skip: 'the SQLite suites fuzz these',
    });
    return;
  }
  let target: FuzzTarget;
  before(async () => {
    target = await startFuzzTarget(db());
  });
  after(() => target?.close());

  test('writes of generated values answer 2xx or 4xx with no driver message', async () => {
    const base = { client_id: 'public', email: 'x@acme.test', password: 'Sunny-Meadow-42', connection: DB, name: 'n' };
    const json = fc
      .dictionary(
        fc.constantFrom(...fields, 'user_metadata', 'app_metadata', 'nickname'),
        fc.oneof(
          oddJson,
          fc.string({ unit: 'binary' }),
          fc.string().map((t) => `${t}\u0000`),
        ),
        { maxKeys: 5 },
      )
      .map((o) => ({
        contentType: 'application/json',
        headers: [] as [string, string][],
        bytes: Buffer.from(JSON.stringify({ ...base, ...o })),
      }));
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...targets),
        fc.oneof(bodyOf(paramsOf(fields, base)), json),
        paramsOf(['page', 'per_page', 'q', 'fields', 'sort']),
        headersOf(),
        async ([method, path, shape], body, query, headers) => {
          const admin: [string, string][] =
            shape === 'management' ? [['authorization', `Bearer ${target.it.adminToken}`]] : [];
          await target.check(
            rawRequest(method, path, method === 'GET' ? query : [], method === 'GET' ? undefined : body, [
              ...admin,
              ...headers,
            ]),
            shape,
            {
              clientSecretsShown: shape === 'management',
            },
          );
        },
      ),
      fuzzParameters(60),
    );
  });
});
