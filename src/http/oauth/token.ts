// POST /oauth/token: accepts a form or JSON body, hands the protocol a plain TokenRequest, and sends
// the answer (or error) with Cache-Control: no-store. The hottest route there is (docs/benchmarks.md "The token endpoint"): no hook,
// schema or serialiser lookup of its own; the body is checked by one loop and the answer is one string.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { clientAuthParameters } from '../../protocol/client-auth.js';
import { OAuthError } from '../../protocol/errors.js';
import { FORWARDED_FOR_HEADER } from '../../protocol/forwarded-for.js';
import { grants } from '../../protocol/grants/index.js';
import { handleTokenRequest, type TokenDeps } from '../../protocol/token.js';

/**
 * Every parameter the token endpoint reads: grant_type, client authentication's and each grant's own, as the
 * grants declare them. Others are ignored, as RFC 6749 §3.2 asks of unknown parameters.
 */
const tokenParameters: readonly string[] = [
  ...new Set(['grant_type', ...clientAuthParameters, ...[...grants.values()].flatMap((grant) => grant.parameters)]),
];

type TokenParams = Partial<Record<string, string>>;

const answerHeaders = {
  'content-type': 'application/json; charset=utf-8',
  'cache-control': 'no-store',
  pragma: 'no-cache',
};

/**
 * The request's parameters: the body must be an object (no body at all is an empty one), and each
 * parameter we read a string. RFC 6749 §3.2: none may be sent more than once, which a form body shows
 * as an array (a JSON array is just not a string).
 */
function tokenParams(request: FastifyRequest): TokenParams {
  const body = request.body === undefined ? {} : request.body;
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new OAuthError('invalid_request', 'The request body must be an object');
  }
  const params = body as Record<string, unknown>;
  for (const name of tokenParameters) {
    const value = params[name];
    if (value === undefined || typeof value === 'string') continue;
    // Media types are case-insensitive (RFC 9110 §8.3.1), as Fastify's parser lookup is.
    if (
      Array.isArray(value) &&
      request.headers['content-type']?.toLowerCase().startsWith('application/x-www-form-urlencoded')
    ) {
      throw new OAuthError('invalid_request', `Parameter sent more than once: ${name}`);
    }
    throw new OAuthError('invalid_request', `Invalid parameter: ${name} must be a string`);
  }
  return params as TokenParams;
}

export function tokenRoute(app: FastifyInstance, deps: TokenDeps) {
  app.post('/oauth/token', async (request, reply) => {
    // One object, as before: the addresses are plain fields of it, read from the request as they are.
    const response = await handleTokenRequest(
      {
        params: tokenParams(request),
        authorization: request.headers.authorization,
        ip: request.ip,
        forwardedFor: request.headers[FORWARDED_FOR_HEADER],
      },
      deps,
    );
    return reply.headers(answerHeaders).send(JSON.stringify(response));
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
