// Hostile input at the OAuth endpoints (/oauth/token, /oauth/revoke, /oauth/introspect, /userinfo) and at
// /co/authenticate: generated, repeated and malformed parameters, bodies, content types and headers. Every
// answer is OAuth JSON ({error, error_description} for a refusal), never a 5xx, a leak or a hang (harness.ts).
import { test } from 'node:test';
import fc from 'fast-check';
import { CALLBACK } from '../helpers/fixtures.js';
import { CLIENT_SECRET, OFFLINE_API } from '../helpers/user-tokens.js';
import { bodyOf, fuzzParameters, headersOf, paramsOf, queryJunk, rawRequest } from './harness.js';
import { onSqlite } from './target.js';

const tokenParams = [
  'grant_type',
  'client_id',
  'client_secret',
  'code',
  'redirect_uri',
  'code_verifier',
  'refresh_token',
  'username',
  'password',
  'realm',
  'scope',
  'audience',
  'client_assertion',
  'client_assertion_type',
  'otp',
  'device_code',
  'connection',
];
const grantTypes = [
  'authorization_code',
  'refresh_token',
  'client_credentials',
  'password',
  'http://auth0.com/oauth/grant-type/password-realm',
  'http://auth0.com/oauth/grant-type/passwordless/otp',
  'urn:ietf:params:oauth:grant-type:device_code',
  'urn:ietf:params:oauth:grant-type:jwt-bearer',
];
const clientIds = ['static', 'rotating', 'basic', 'expiring', 'public', 'gatehouse-admin', 'nobody'];

onSqlite('Hostile input at the OAuth endpoints', (target) => {
  test('/oauth/token answers every generated request with OAuth JSON', async () => {
    const { tokens, authorizations } = target();
    const base = {
      grant_type: 'refresh_token',
      client_id: 'static',
      client_secret: CLIENT_SECRET,
      refresh_token: tokens.refresh_token,
      scope: 'openid',
      audience: OFFLINE_API,
      redirect_uri: CALLBACK,
    };
    const good = [...grantTypes, ...clientIds, 'alice@acme.test', 'Username-Password-Authentication'];
    await fc.assert(
      fc.asyncProperty(
        bodyOf(paramsOf(tokenParams, base, good)),
        headersOf(authorizations),
        fc.constantFrom('POST', 'POST', 'POST', 'GET', 'PUT', 'OPTIONS'),
        async (body, headers, method) => target().check(rawRequest(method, '/oauth/token', [], body, headers), 'oauth'),
      ),
      fuzzParameters(150),
    );
  });

  test('/oauth/revoke and /oauth/introspect answer every generated request with OAuth JSON', async () => {
    const { tokens, authorizations } = target();
    const base = { client_id: 'static', client_secret: CLIENT_SECRET, token: tokens.access_token };
    const good = [tokens.refresh_token, 'access_token', 'refresh_token', ...clientIds];
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('/oauth/revoke', '/oauth/introspect'),
        bodyOf(paramsOf(['token', 'token_type_hint', 'client_id', 'client_secret'], base, good)),
        headersOf(authorizations),
        async (path, body, headers) => target().check(rawRequest('POST', path, [], body, headers), 'oauth'),
      ),
      fuzzParameters(100),
    );
  });

  test('/userinfo answers every generated request with OAuth JSON', async () => {
    const { tokens, authorizations } = target();
    const params = paramsOf(['access_token', 'schema'], { access_token: tokens.access_token });
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('GET', 'POST', 'HEAD', 'DELETE'),
        params,
        fc.option(bodyOf(params), { nil: undefined }),
        headersOf(authorizations),
        queryJunk,
        async (method, query, body, headers, junk) =>
          target().check(
            rawRequest(method, '/userinfo', query, method === 'GET' ? undefined : body, headers, junk),
            'oauth',
          ),
      ),
      fuzzParameters(80),
    );
  });

  test('/co/authenticate answers every generated request with OAuth JSON', async () => {
    const base = {
      client_id: 'public',
      username: 'alice@acme.test',
      password: 'wrong-password',
      realm: 'Username-Password-Authentication',
      credential_type: 'http://auth0.com/oauth/grant-type/password-realm',
    };
    await fc.assert(
      fc.asyncProperty(
        bodyOf(paramsOf(['client_id', 'username', 'password', 'realm', 'credential_type', 'otp'], base, clientIds)),
        headersOf(),
        async (body, headers) =>
          target().check(
            rawRequest('POST', '/co/authenticate', [], body, [['origin', 'http://localhost:3007'], ...headers]),
            'cross-origin',
          ),
      ),
      fuzzParameters(60),
    );
  });
});
