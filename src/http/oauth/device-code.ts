// POST /oauth/device/code (RFC 8628 §3.1): a form or JSON body, as at /oauth/token; the answer (or the OAuth
// error) with Cache-Control: no-store.
import type { FastifyInstance } from 'fastify';
import { clientAuthParameters } from '../../protocol/client-auth.js';
import {
  type DeviceAuthorizationDeps,
  deviceAuthorizationParameters,
  startDeviceAuthorization,
} from '../../protocol/device.js';
import { OAuthError } from '../../protocol/errors.js';
import { bodyParams } from './params.js';

const parameters = [...deviceAuthorizationParameters, ...clientAuthParameters];

export function deviceCodeRoute(app: FastifyInstance, deps: DeviceAuthorizationDeps) {
  app.post('/oauth/device/code', async (request, reply) => {
    const answer = await startDeviceAuthorization(
      { params: bodyParams(request, parameters), authorization: request.headers.authorization },
      deps,
    );
    return reply.headers({ 'cache-control': 'no-store', pragma: 'no-cache' }).send(answer);
  });
  // RFC 8628 §3.1: the client makes a POST request.
  app.route({
    method: ['GET', 'PUT', 'PATCH', 'DELETE'],
    url: '/oauth/device/code',
    handler: async () => {
      throw new OAuthError('invalid_request', 'The device authorization endpoint accepts only POST');
    },
  });
}
