// Refuses a request whose parameters hold U+0000, on every surface, before a route reads them. No OAuth or
// Auth0 parameter may hold one (RFC 6749 Appendix A: NQCHAR, VSCHAR and UNICODECHARNOCRLF all leave out %x00),
// and PostgreSQL's text cannot store or even compare one: the query fails ("invalid byte sequence"), which
// would otherwise surface as a 500 wherever a parameter reaches the database. Each surface's error handler
// answers the 400 in its own shape.
import type { FastifyInstance, FastifyRequest } from 'fastify';

/** Whether a parsed value (strings, and the keys and values of arrays and objects, at any depth) holds U+0000. */
function holdsNul(value: unknown): boolean {
  const pending = [value];
  while (pending.length) {
    const next = pending.pop();
    if (typeof next === 'string') {
      if (next.includes('\u0000')) return true;
    } else if (typeof next === 'object' && next !== null) {
      for (const [key, item] of Object.entries(next)) {
        if (key.includes('\u0000')) return true;
        pending.push(item);
      }
    }
  }
  return false;
}

const nulError = () =>
  Object.assign(new Error('A parameter holds a NUL character'), { statusCode: 400, code: 'GATEHOUSE_NUL_PARAMETER' });

export function refuseNulParameters(app: FastifyInstance) {
  // A callback hook, not an async one: it runs on every request, the token path included.
  app.addHook('preValidation', (request: FastifyRequest, _reply, done) => {
    const cookies = (request as { cookies?: unknown }).cookies;
    if (holdsNul(request.query) || holdsNul(request.params) || holdsNul(request.body) || holdsNul(cookies))
      return done(nulError());
    done();
  });
}
