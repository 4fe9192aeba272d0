// CORS for the endpoints a browser app calls (Auth0 docs: "Configure Cross-Origin Resource Sharing",
// /docs/get-started/applications/set-up-cors): /oauth/token, /oauth/device/code, /oauth/revoke, /userinfo
// answer the origins some client lists in web_origins or allowed_origins, with the preflight that
// auth0-spa-js needs (it sends Auth0-Client, which forces one). No cookies cross: no credentials header.
import type { FastifyInstance } from 'fastify';
import type { ClientStore } from '../../store/types.js';
import { preflightRoute, registeredOrigin } from '../client-cors.js';

const corsPaths = new Set(['/oauth/token', '/oauth/device/code', '/oauth/revoke', '/userinfo']);

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
    preflightRoute(app, path, clients, {
      credentials: false,
      methods: path === '/userinfo' ? 'GET, POST' : 'POST',
      headers: 'Content-Type, Authorization, Auth0-Client',
    });
  }
}
