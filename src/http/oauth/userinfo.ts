import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { bearerToken, userinfo, type UserinfoDeps } from '../../protocol/userinfo.js';

/** A parameter as the query or form parser leaves it: a string, an array when repeated; anything else is dropped. */
function accessTokenParameter(params: unknown): string | string[] | undefined {
  const value =
    typeof params === 'object' && params !== null ? (params as Record<string, unknown>).access_token : undefined;
  return typeof value === 'string' || Array.isArray(value) ? (value as string | string[]) : undefined;
}

/**
 * RFC 6750 §2.2: the body holds a token only in a POST whose Content-Type is application/x-www-form-urlencoded
 * (media types are case-insensitive, RFC 9110 §8.3.1). A JSON body's access_token is not read at all.
 */
function formAccessToken(request: FastifyRequest): string | string[] | undefined {
  const mediaType = request.headers['content-type']?.split(';')[0].trim().toLowerCase();
  if (request.method !== 'POST' || mediaType !== 'application/x-www-form-urlencoded') return undefined;
  return accessTokenParameter(request.body);
}

/**
 * GET and POST /userinfo (OIDC Core §5.3.1: both methods). The token comes in the Authorization header, a form
 * body or the query (RFC 6750 §2.1–2.3); the query is redacted from the request log (http/log.ts).
 */
export function userinfoRoute(app: FastifyInstance, deps: UserinfoDeps) {
  const handler = async (request: FastifyRequest, reply: FastifyReply) => {
    const token = bearerToken({
      authorization: request.headers.authorization,
      form: formAccessToken(request),
      query: accessTokenParameter(request.query),
    });
    const claims = await userinfo(token, deps);
    return reply.header('cache-control', 'no-store').send(claims);
  };
  app.get('/userinfo', handler);
  app.post('/userinfo', handler);
}
