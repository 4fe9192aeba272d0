// Strict defaults for every response; a route that renders a page sets its own CSP before sending.
import type { FastifyInstance } from 'fastify';

export function addSecurityHeaders(app: FastifyInstance, https: boolean) {
  // A callback hook, not an async one: it runs on every response, the token path included.
  app.addHook('onSend', (_request, reply, payload, done) => {
    reply.header('x-content-type-options', 'nosniff');
    reply.header('referrer-policy', 'no-referrer');
    if (!reply.hasHeader('content-security-policy')) {
      reply.header('content-security-policy', "default-src 'none'; frame-ancestors 'none'");
      reply.header('x-frame-options', 'DENY');
    }
    if (https) reply.header('strict-transport-security', 'max-age=31536000; includeSubDomains');
    done(null, payload);
  });
}
