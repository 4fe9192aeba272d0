// POST /oauth/introspect (RFC 7662): a form or JSON body, as at /oauth/token; the answer is the JSON of
// RFC 7662 §2.2, never cached (it says whether a token still works).
import type { FastifyInstance } from 'fastify';
import { clientAuthParameters } from '../../protocol/client-auth.js';
import { OAuthError } from '../../protocol/errors.js';
import { type IntrospectionDeps, introspectionParameters, introspectToken } from '../../protocol/introspection.js';
import { bodyParams } from './params.js';

const parameters = [...introspectionParameters, ...clientAuthParameters];

export function introspectRoute(app: FastifyInstance, deps: IntrospectionDeps) {
  app.post('/oauth/introspect', async (request, reply) => {
    const answer = await introspectToken(
      { params: bodyParams(request, parameters), authorization: request.headers.authorization },
      deps,
    );
    return reply
      .headers({ 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', pragma: 'no-cache' })
      .send(JSON.stringify(answer));
  });
  // RFC 7662 §2.1: the protected resource uses POST.
  app.route({
    method: ['GET', 'PUT', 'PATCH', 'DELETE'],
    url: '/oauth/introspect',
    handler: async () => {
      throw new OAuthError('invalid_request', 'The introspection endpoint accepts only POST');
    },
  });
}
