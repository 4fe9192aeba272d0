// Hostile input at Auth0's JSON endpoints for browsers and apps: /dbconnections/signup,
// /dbconnections/change_password and /passwordless/start. Every refusal is Auth0's JSON error (with the OAuth
// pair), never a 5xx, a leak or a hang (harness.ts).
import { test } from 'node:test';
import fc from 'fast-check';
import { DB } from '../helpers/fixtures.js';
import { CLIENT_SECRET } from '../helpers/user-tokens.js';
import { bodyOf, fuzzParameters, headersOf, oddJson, paramsOf, rawRequest } from './harness.js';
import { onSqlite } from './target.js';

const clientIds = ['static', 'public', 'basic', 'nobody', 'gatehouse-admin'];

onSqlite("Hostile input at Auth0's database-connection and passwordless endpoints", (target) => {
  test('/dbconnections/* answer every generated request in Auth0 shape', async () => {
    const names = [
      'client_id',
      'email',
      'password',
      'connection',
      'username',
      'given_name',
      'family_name',
      'name',
      'nickname',
      'picture',
      'user_metadata',
    ];
    const base = { client_id: 'public', email: 'new@acme.test', password: 'Sunny-Meadow-42', connection: DB };
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('/dbconnections/signup', '/dbconnections/change_password', '/dbconnections/unknown'),
        fc.constantFrom('POST', 'POST', 'POST', 'GET', 'OPTIONS'),
        bodyOf(paramsOf(names, base, [...clientIds, 'alice@acme.test', 'email'])),
        headersOf([], []),
        async (path, method, body, headers) =>
          target().check(rawRequest(method, path, [], body, headers), 'dbconnections'),
      ),
      fuzzParameters(120),
    );
  });

  test('/passwordless/start answers every generated request in Auth0 shape', async () => {
    const names = [
      'client_id',
      'client_secret',
      'connection',
      'email',
      'phone_number',
      'send',
      'authParams',
      'client_assertion',
    ];
    const base = {
      client_id: 'static',
      client_secret: CLIENT_SECRET,
      connection: 'email',
      email: 'alice@acme.test',
      send: 'code',
    };
    await fc.assert(
      fc.asyncProperty(
        bodyOf(paramsOf(names, base, [...clientIds, 'link', 'sms', '+15555550100'])),
        fc.option(oddJson, { nil: undefined }),
        headersOf(),
        async (body, authParams, headers) => {
          // authParams is an object in Auth0's API: now and then an odd one, sent as JSON.
          const json =
            authParams === undefined
              ? body
              : {
                  contentType: 'application/json',
                  headers: [],
                  bytes: Buffer.from(JSON.stringify({ ...base, authParams })),
                };
          await target().check(rawRequest('POST', '/passwordless/start', [], json, headers), 'oauth');
        },
      ),
      fuzzParameters(80),
    );
  });
});
