// POST /oauth/token: accepts a form or JSON body, hands the protocol a plain TokenRequest, and sends
// the answer (or error) with Cache-Control: no-store. The hottest route there is (docs/benchmarks.md "The token endpoint"): no hook,
// schema or serialiser lookup of its own; the body is checked by one loop and the answer is one string.
import type { FastifyInstance } from 'fastify';
import { clientAuthParameters } from '../../protocol/client-auth.js';
import { OAuthError } from '../../protocol/errors.js';
import { FORWARDED_FOR_HEADER } from '../../protocol/forwarded-for.js';
import { grants } from '../../protocol/grants/index.js';
import { handleTokenRequest, type TokenDeps } from '../../protocol/token.js';
import { bodyParams } from './params.js';

/**
 * Every parameter the token endpoint reads: grant_type, client authentication's and each grant's own, as the
 * grants declare them. Others are ignored, as RFC 6749 §3.2 asks of unknown parameters.
 */
const tokenParameters: readonly string[] = [
  ...new Set(['grant_type', ...clientAuthParameters, ...[...grants.values()].flatMap((grant) => grant.parameters)]),
];

const answerHeaders = {
  'content-type': 'application/json; charset=utf-8',
  'cache-control': 'no-store',
  pragma: 'no-cache',
};

export function tokenRoute(app: FastifyInstance, deps: TokenDeps) {
  app.post('/oauth/token', async (request, reply) => {
    // One object, as before: the addresses are plain fields of it, read from the request as they are.
    const response = await handleTokenRequest(
      {
        params: bodyParams(request, tokenParameters),
        authorization: request.headers.authorization,
        ip: request.ip,
        forwardedFor: request.headers[FORWARDED_FOR_HEADER],
        userAgent: request.headers['user-agent'],
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
