// Hostile input at the Management API (/api/v2), with the operator's token and without one (none, a user's
// token, odd schemes): generated paths, ids, query strings and bodies. Every refusal is Auth0's
// {statusCode, error, message, errorCode}, never a 5xx, a leak or a hang (harness.ts). With the operator's
// token a 2xx may show client secrets, as Auth0's GET /api/v2/clients does; nothing else may.
import { test } from 'node:test';
import fc from 'fast-check';
import { bodyOf, fuzzParameters, headersOf, oddJson, paramsOf, queryJunk, rawRequest } from './harness.js';
import { onSqlite } from './target.js';

/** The routes, with :id for an id to generate; POST /keys/signing/rotate is left out (it would expire the token). */
const routes: [string, string][] = [
  ...[
    '/clients',
    '/clients/:id',
    '/connections',
    '/connections/:id',
    '/connections/:id/clients',
    '/resource-servers',
    '/resource-servers/:id',
  ].map((p): [string, string] => ['GET', p]),
  ...[
    '/client-grants',
    '/client-grants/:id',
    '/roles',
    '/roles/:id',
    '/roles/:id/permissions',
    '/roles/:id/users',
    '/users',
    '/users/:id',
  ].map((p): [string, string] => ['GET', p]),
  ...[
    '/users-by-email',
    '/users/:id/logs',
    '/users/:id/permissions',
    '/users/:id/roles',
    '/user-blocks',
    '/user-blocks/:id',
    '/logs',
    '/logs/:id',
  ].map((p): [string, string] => ['GET', p]),
  ...[
    '/grants',
    '/keys/signing',
    '/keys/signing/:id',
    '/branding',
    '/tenants/settings',
    '/stats/active-users',
    '/email-templates/:id',
  ].map((p): [string, string] => ['GET', p]),
  ...[
    '/clients',
    '/connections',
    '/resource-servers',
    '/client-grants',
    '/roles',
    '/users',
    '/email-templates',
    '/jobs/verification-email',
  ].map((p): [string, string] => ['POST', p]),
  ...[
    '/tickets/password-change',
    '/tickets/email-verification',
    '/clients/:id/rotate-secret',
    '/roles/:id/permissions',
    '/roles/:id/users',
  ].map((p): [string, string] => ['POST', p]),
  ...['/users/:id/permissions', '/users/:id/roles'].map((p): [string, string] => ['POST', p]),
  ...[
    '/clients/:id',
    '/connections/:id',
    '/connections/:id/clients',
    '/resource-servers/:id',
    '/client-grants/:id',
    '/roles/:id',
    '/users/:id',
  ].map((p): [string, string] => ['PATCH', p]),
  ...['/branding', '/tenants/settings', '/email-templates/:id'].map((p): [string, string] => ['PATCH', p]),
  ['PUT', '/email-templates/:id'],
  ['PUT', '/keys/signing/:id/revoke'],
  ...[
    '/roles/:id/permissions',
    '/users/:id/permissions',
    '/users/:id/roles',
    '/user-blocks',
    '/user-blocks/:id',
    '/grants',
    '/grants/:id',
  ].map((p): [string, string] => ['DELETE', p]),
  ...[
    '/clients/:id',
    '/connections/:id',
    '/resource-servers/:id',
    '/client-grants/:id',
    '/roles/:id',
    '/users/:id',
  ].map((p): [string, string] => ['DELETE', p]),
  ['GET', '/nothing/here'],
  ['PUT', '/clients'],
];

const bodyFields = [
  'name',
  'client_id',
  'client_secret',
  'app_type',
  'callbacks',
  'grant_types',
  'token_endpoint_auth_method',
  'email',
  'password',
  'connection',
  'user_id',
  'identifier',
  'scopes',
  'audience',
  'scope',
  'strategy',
  'options',
  'enabled_clients',
  'blocked',
  'user_metadata',
  'app_metadata',
  'permissions',
  'roles',
  'users',
  'description',
  'body',
  'from',
  'subject',
  'template',
  'enabled',
  'friendly_name',
  'result_url',
  'ttl_sec',
  'colors',
  'logo_url',
  'status',
  'add',
  'remove',
];
const queryFields = [
  'page',
  'per_page',
  'include_totals',
  'fields',
  'include_fields',
  'q',
  'search_engine',
  'sort',
  'from',
  'take',
  'email',
  'identifier',
  'audience',
  'client_id',
  'user_id',
  'strategy',
  'name',
];
const ids = [
  'static',
  'public',
  'auth0|alice',
  'auth0|nobody',
  'Username-Password-Authentication',
  'email',
  'verify_email',
  'reset_email',
  'rol_0',
  'https://offline.acme.test',
];

const id = fc.oneof(
  fc.constantFrom(...ids),
  fc.string({ maxLength: 20 }),
  fc.constantFrom('%00', '%2e%2e%2f', '%zz', '..', '%E2%80%AE', 'a'.repeat(3000), '%F0%9F%98%80', '1e309', '-1'),
);

/** A path with its ids filled in (generated ones percent-encoded, the junk ones as they are). */
const path = fc.tuple(fc.constantFrom(...routes), id).map(([[method, template], value]) => ({
  method,
  path: `/api/v2${template.replace(':id', /^[\w%.|-]*$/.test(value) ? value : encodeURIComponent(value))}`,
}));

/** A JSON object of the API's field names, each any JSON value (wrong types, deep, wide, polluting). */
const oddObject = fc
  .dictionary(fc.constantFrom(...bodyFields, '__proto__', 'constructor'), oddJson, { maxKeys: 5 })
  .map((o) => ({
    contentType: 'application/json',
    headers: [] as [string, string][],
    bytes: Buffer.from(JSON.stringify(o)),
  }));

const request = (authorizations: fc.Arbitrary<[string, string][]>) =>
  fc.tuple(
    path,
    paramsOf(queryFields, {}, ['0', '1', '100', '-1', 'true', 'email:"alice@acme.test"', 'v3']),
    fc.oneof(bodyOf(paramsOf(bodyFields)), oddObject),
    authorizations,
    queryJunk,
  );

onSqlite('Hostile input at the Management API', (target) => {
  test("/api/v2 answers every generated request with the operator's token in Auth0's shape", async () => {
    const { it } = target();
    const auth = headersOf([]).map((h): [string, string][] => [
      ['authorization', `Bearer ${it.adminToken}`],
      ...h.filter(([n]) => n !== 'authorization'),
    ]);
    await fc.assert(
      fc.asyncProperty(request(auth), async ([{ method, path }, query, body, headers, junk]) =>
        target().check(
          rawRequest(method, path, query, method === 'GET' ? undefined : body, headers, junk),
          'management',
          {
            clientSecretsShown: true,
          },
        ),
      ),
      fuzzParameters(250),
    );
  });

  test('/api/v2 answers every generated request without a valid token in Auth0 shape', async () => {
    const { tokens } = target();
    await fc.assert(
      fc.asyncProperty(
        request(headersOf([`Bearer ${tokens.access_token}`, `Bearer ${tokens.id_token}`])),
        async ([{ method, path }, query, body, headers, junk]) =>
          target().check(
            rawRequest(method, path, query, method === 'GET' ? undefined : body, headers, junk),
            'management',
          ),
      ),
      fuzzParameters(120),
    );
  });
});
