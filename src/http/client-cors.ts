// CORS for the endpoints auth0.js calls from a login page on the application's own origin (Auth0 docs:
// "Configure Cross-Origin Resource Sharing", /docs/get-started/applications/set-up-cors): /dbconnections/signup
// and /co/authenticate. A preflight carries no body, so no client_id: it is answered for any origin that some
// client registered, as /oauth/token's is. The actual response names the origin only when it is one of the
// request's client's web_origins or allowed_origins; any other origin gets no Access-Control-Allow-Origin, so
// its page cannot read the answer. The registered-origin check and the preflight route are shared with the
// OAuth surface's CORS (oauth/cors.ts), which differs only in the methods and headers it allows.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { clientOrigins } from '../protocol/cross-origin.js';
import type { Client, ClientStore } from '../store/types.js';

export interface CorsOptions {
  /** The page sends cookies (auth0.js: withCredentials on /co/authenticate): the exact origin and the credentials header. */
  credentials: boolean;
}

export interface PreflightOptions extends CorsOptions {
  methods: string;
  headers: string;
}

/** What auth0.js sends from a login page: JSON, its telemetry header, and the language of the page when set. */
export const AUTH0_JS_PREFLIGHT: PreflightOptions = {
  credentials: false,
  methods: 'POST',
  headers: 'Content-Type, Auth0-Client, X-Request-Language',
};

/** The Origin when some client lists it in web_origins or allowed_origins, else undefined. */
export async function registeredOrigin(
  clients: Pick<ClientStore, 'browserOrigins'>,
  origin: string | undefined,
): Promise<string | undefined> {
  if (!origin) return undefined;
  return (await clients.browserOrigins()).includes(origin) ? origin : undefined;
}

/** OPTIONS for a path: 204 with the CORS headers for a registered origin, 403 without them for any other. */
export function preflightRoute(
  app: FastifyInstance,
  path: string,
  clients: Pick<ClientStore, 'browserOrigins'>,
  options: PreflightOptions,
) {
  app.options(path, async (request, reply) => {
    const origin = await registeredOrigin(clients, request.headers.origin);
    reply.header('vary', 'Origin');
    if (!origin) return reply.code(403).header('cache-control', 'no-store').send();
    return reply
      .code(204)
      .headers({
        'access-control-allow-origin': origin,
        ...(options.credentials ? { 'access-control-allow-credentials': 'true' } : {}),
        'access-control-allow-methods': options.methods,
        'access-control-allow-headers': options.headers,
        'access-control-max-age': '86400',
      })
      .send();
  });
}

/** On the actual response: lets the page read it when its origin is one of the client's. */
export function allowClientOrigin(request: FastifyRequest, reply: FastifyReply, client: Client, options: CorsOptions) {
  const origin = request.headers.origin;
  reply.header('vary', 'Origin');
  if (!origin || !clientOrigins(client).includes(origin)) return;
  reply.header('access-control-allow-origin', origin);
  if (options.credentials) reply.header('access-control-allow-credentials', 'true');
}
