// POST /oauth/token: accepts a form or JSON body, hands the protocol a plain TokenRequest, and sends
// the answer (or error) with Cache-Control: no-store.
import type { FastifyInstance } from 'fastify';
import { OAuthError } from '../../protocol/errors.js';
import { handleTokenRequest, type TokenDeps } from '../../protocol/token.js';

/** Every parameter some grant or client authentication method reads. Others are ignored (SPEC.md §2). */
export const tokenParameters = [
  'grant_type', 'client_id', 'client_secret', 'client_assertion', 'client_assertion_type', 'audience', 'scope',
  'code', 'redirect_uri', 'code_verifier', 'refresh_token', 'username', 'password', 'realm', 'otp', 'device_code',
] as const;

const bodySchema = {
  type: 'object',
  properties: Object.fromEntries(tokenParameters.map((name) => [name, { type: 'string' }])),
} as const;

const responseSchema = {
  type: 'object',
  required: ['access_token', 'token_type', 'expires_in'],
  properties: {
    access_token: { type: 'string' },
    token_type: { type: 'string' },
    expires_in: { type: 'integer' },
    scope: { type: 'string' },
    id_token: { type: 'string' },
    refresh_token: { type: 'string' },
  },
} as const;

type TokenBody = Partial<Record<(typeof tokenParameters)[number], string>>;

export function tokenRoute(app: FastifyInstance, deps: TokenDeps) {
  app.post<{ Body: TokenBody }>('/oauth/token', {
    schema: { body: bodySchema, response: { 200: responseSchema } },
    preValidation: async (request) => {
      // No body at all is an empty parameter set; a JSON null, array or scalar is not an object.
      const body = (request.body === undefined ? {} : request.body) as Record<string, unknown>;
      if (typeof body !== 'object' || body === null || Array.isArray(body)) {
        throw new OAuthError('invalid_request', 'The request body must be an object');
      }
      request.body = body;
      // RFC 6749 §3.2: request parameters must not be included more than once. Media types are
      // case-insensitive (RFC 9110 §8.3.1), as Fastify's parser lookup is.
      if (request.headers['content-type']?.toLowerCase().startsWith('application/x-www-form-urlencoded')) {
        const repeated = tokenParameters.find((name) => Array.isArray(body[name]));
        if (repeated) throw new OAuthError('invalid_request', `Parameter sent more than once: ${repeated}`);
      }
    },
    handler: async (request, reply) => {
      const response = await handleTokenRequest({ params: request.body, authorization: request.headers.authorization }, deps);
      return reply.headers({ 'cache-control': 'no-store', pragma: 'no-cache' }).send(response);
    },
  });
  // RFC 6749 §3.2: the token endpoint is POST only; other methods get an OAuth error body, not Fastify's 404.
  app.route({
    method: ['GET', 'PUT', 'PATCH', 'DELETE'],
    url: '/oauth/token',
    handler: async () => {
      throw new OAuthError('invalid_request', 'The token endpoint accepts only POST');
    },
  });
}
