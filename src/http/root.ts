// The root surface: /healthz, /readyz, /livez, /metrics (with a token), discovery and the JWKS, and what answers outside every surface (fallback.ts).
// Fastify keeps one not-found handler per route prefix and the surfaces share the prefix '/', so the one
// set here answers unknown paths for all of them, in the shape of the surface each path belongs to.
import type { FastifyError, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { errorAnswer, fallbackHandlers } from './fallback.js';
import { healthRoute } from './health.js';
import { metricsRoute } from './metrics.js';
import type { SurfaceDeps } from './surface.js';
import { wellKnownRoutes } from './well-known.js';

type RootDeps = Pick<SurfaceDeps, 'config' | 'store' | 'keyring' | 'renderer' | 'storage' | 'metricsText'>;

export function rootSurface(deps: RootDeps): FastifyPluginAsync {
  const pages = { store: deps.store, renderer: deps.renderer };
  return async (root) => {
    fallbackHandlers(root, pages, deps.storage);
    healthRoute(root, deps.store, deps.keyring, deps.storage);
    wellKnownRoutes(root, deps.config.issuer, deps.keyring);
    // Without a token /metrics is not on the main port at all: the fallback answers 404.
    if (deps.config.metricsToken) metricsRoute(root, deps.config.metricsToken, deps.metricsText);
  };
}

/** Fastify's frameworkErrors (a URL the router cannot read): answered like any other bad request. */
export function frameworkErrorHandler(deps: Pick<SurfaceDeps, 'store' | 'renderer' | 'storage'>) {
  const pages = { store: deps.store, renderer: deps.renderer };
  return (error: FastifyError, request: FastifyRequest, reply: FastifyReply) =>
    errorAnswer(error, request, reply, pages, deps.storage);
}
