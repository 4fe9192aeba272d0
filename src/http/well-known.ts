// Discovery (OIDC Discovery 1.0, RFC 8414) and the JWKS. Both advertise only what works today.
import type { FastifyInstance } from 'fastify';
import { endpoints } from '../config.js';
import { assertionAlgs } from '../protocol/client-auth.js';
import { grants } from '../protocol/grants/index.js';
import { responseTypeNames } from '../protocol/authorize/request.js';
import type { Keyring } from '../protocol/keys/keyring.js';
import { responseModeNames } from '../protocol/response-modes/index.js';
import { signingAlgs, tokenEndpointAuthMethods } from '../store/types.js';

export function discoveryDocument(issuer: string) {
  const urls = endpoints(issuer);
  return {
    issuer,
    authorization_endpoint: `${issuer}authorize`,
    token_endpoint: urls.token,
    // RFC 8628 §4.
    device_authorization_endpoint: urls.deviceAuthorization,
    userinfo_endpoint: `${issuer}userinfo`,
    end_session_endpoint: `${issuer}oidc/logout`,
    jwks_uri: urls.jwks,
    grant_types_supported: [...grants.keys(), 'implicit'],
    response_types_supported: [...responseTypeNames],
    response_modes_supported: [...responseModeNames],
    code_challenge_methods_supported: ['S256'],
    scopes_supported: ['openid', 'profile', 'email', 'offline_access'],
    claims_supported: [
      'sub',
      'iss',
      'aud',
      'exp',
      'iat',
      'auth_time',
      'nonce',
      'sid',
      'at_hash',
      'c_hash',
      'name',
      'given_name',
      'family_name',
      'nickname',
      'picture',
      'updated_at',
      'email',
      'email_verified',
    ],
    subject_types_supported: ['public'],
    id_token_signing_alg_values_supported: [...signingAlgs],
    authorization_response_iss_parameter_supported: true,
    token_endpoint_auth_methods_supported: [...tokenEndpointAuthMethods],
    token_endpoint_auth_signing_alg_values_supported: [...assertionAlgs],
    // RFC 8414 §2: the revocation endpoint authenticates clients as the token endpoint does, public ones
    // included; introspection wants a confidential client (RFC 7662 §2.1).
    revocation_endpoint: urls.revocation,
    revocation_endpoint_auth_methods_supported: [...tokenEndpointAuthMethods],
    revocation_endpoint_auth_signing_alg_values_supported: [...assertionAlgs],
    introspection_endpoint: urls.introspection,
    introspection_endpoint_auth_methods_supported: tokenEndpointAuthMethods.filter((method) => method !== 'none'),
    introspection_endpoint_auth_signing_alg_values_supported: [...assertionAlgs],
    claims_parameter_supported: false,
    request_parameter_supported: false,
    request_uri_parameter_supported: false,
  };
}

export function wellKnownRoutes(app: FastifyInstance, issuer: string, keyring: Keyring) {
  const document = JSON.stringify(discoveryDocument(issuer));
  const cors = { 'access-control-allow-origin': '*', 'cache-control': 'public, max-age=300' };
  app.get('/.well-known/openid-configuration', async (_request, reply) =>
    reply.headers(cors).type('application/json; charset=utf-8').send(document),
  );
  app.get('/.well-known/jwks.json', async (_request, reply) => reply.headers(cors).send(await keyring.publicKeys()));
}
