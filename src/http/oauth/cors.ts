// CORS for the endpoints a browser app calls (Auth0 docs: "Configure Cross-Origin Resource Sharing",
// /docs/get-started/applications/set-up-cors): /oauth/token, /oauth/revoke, /userinfo
// answer the origins some client lists in web_origins or allowed_origins, with the preflight that
// auth0-spa-js needs (it sends Auth0-Client, which forces one). No cookies cross: no credentials header.
import type { FastifyInstance } from 'fastify';
import type { ClientStore } from '../../store/types.js';

const corsPaths = new Set(['/oauth/token', '/oauth/revoke', '/userinfo']);

/** The Origin when some client lists it in web_origins or allowed_origins, else undefined. */
export async function registeredOrigin(
  clients: Pick<ClientStore, 'browserOrigins'>,
  origin: string | undefined,
): Promise<string | undefined> {
  if (!origin) return undefined;
  return (await clients.browserOrigins()).includes(origin) ? origin : undefined;
}

export function corsRoutes(app: FastifyInstance, clients: Pick<ClientStore, 'browserOrigins'>) {
  const allowedOrigin = (origin: string | undefined) => registeredOrigin(clients, origin);

  app.addHook('onRequest', (request, reply, done) => {
    // Most calls (servers, SDKs outside a browser) send no Origin: nothing to look up for them.
    if (!request.headers.origin || request.method === 'OPTIONS' || !corsPaths.has(request.routeOptions.url ?? ''))
      return done();
    allowedOrigin(request.headers.origin).then((origin) => {
      if (origin) reply.headers({ 'access-control-allow-origin': origin, vary: 'Origin' });
      done();
    }, done);
  });

  for (const path of corsPaths) {
    app.options(path, async (request, reply) => {
      const origin = await allowedOrigin(request.headers.origin);
      reply.header('vary', 'Origin');
      if (!origin) return reply.code(403).header('cache-control', 'no-store').send();
      return reply
        .code(204)
        .headers({
          'access-control-allow-origin': origin,
          'access-control-allow-methods': path === '/userinfo' ? 'GET, POST' : 'POST',
          'access-control-allow-headers': 'Content-Type, Authorization, Auth0-Client',
          'access-control-max-age': '86400',
        })
        .send();
    });
  }
}
