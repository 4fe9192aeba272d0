// POST /oauth/revoke (RFC 7009): a form or JSON body, as at /oauth/token. RFC 7009 §2.2: 200 with an
// empty body whether or not there was anything to revoke; errors are OAuth JSON (the surface's handler).
import type { FastifyInstance } from 'fastify';
import { clientAuthParameters } from '../../protocol/client-auth.js';
import { OAuthError } from '../../protocol/errors.js';
import { type RevocationDeps, revocationParameters, revokeToken } from '../../protocol/revocation.js';
import { bodyParams } from './params.js';

const parameters = [...revocationParameters, ...clientAuthParameters];

export function revokeRoute(app: FastifyInstance, deps: RevocationDeps) {
  app.post('/oauth/revoke', async (request, reply) => {
    await revokeToken({ params: bodyParams(request, parameters), authorization: request.headers.authorization }, deps);
    return reply.headers({ 'cache-control': 'no-store', pragma: 'no-cache' }).code(200).send();
  });
  // RFC 7009 §2.1: the client uses POST.
  app.route({
    method: ['GET', 'PUT', 'PATCH', 'DELETE'],
    url: '/oauth/revoke',
    handler: async () => {
      throw new OAuthError('invalid_request', 'The revocation endpoint accepts only POST');
    },
  });
}
