import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { bearerToken, userinfo, type UserinfoDeps } from '../../protocol/userinfo.js';

/** GET and POST /userinfo (OIDC Core §5.3.1: both methods). */
export function userinfoRoute(app: FastifyInstance, deps: UserinfoDeps) {
  const handler = async (request: FastifyRequest, reply: FastifyReply) => {
    const claims = await userinfo(bearerToken(request.headers.authorization), deps);
    return reply.header('cache-control', 'no-store').send(claims);
  };
  app.get('/userinfo', handler);
  app.post('/userinfo', handler);
}
