// The Management API surface, /api/v2 (Auth0 Management API v2): JSON bodies up to 1 MiB, a bearer token
// for <issuer>api/v2/ with the scope each route declares, and every error in Auth0's shape (errors.ts).
// Its own not-found handler answers unknown /api/v2 paths (Fastify keeps one per prefix).
import { Ajv } from 'ajv';
import type { FastifyPluginAsync } from 'fastify';
import { endpoints } from '../../config.js';
import type { SurfaceDeps } from '../surface.js';
import { requireScopes } from './auth.js';
import { clientGrantRoutes } from './client-grants.js';
import { clientRoutes } from './clients.js';
import { connectionRoutes } from './connections.js';
import { managementErrorHandler, managementNotFound } from './errors.js';
import { resourceServerRoutes } from './resource-servers.js';

const BODY_LIMIT = 1024 * 1024;

type ManagementSurfaceDeps = Pick<SurfaceDeps, 'config' | 'store' | 'keyring' | 'box' | 'storage' | 'now'>;

export function managementSurface(deps: ManagementSurfaceDeps): FastifyPluginAsync {
  const { config, store, keyring, box, now } = deps;
  const auth = { keyring, issuer: config.issuer, audience: endpoints(config.issuer).managementAudience, now };
  // Bodies as sent: a field Auth0's schema does not know is refused, never dropped or coerced (Fastify's
  // own ajv removes additional properties). Query strings are text, so their numbers and booleans are coerced.
  const bodies = new Ajv({ allErrors: false, strict: false });
  const queries = new Ajv({ allErrors: false, strict: false, coerceTypes: true, useDefaults: true });
  const plugin: FastifyPluginAsync = async (api) => {
    api.removeAllContentTypeParsers();
    api.addContentTypeParser(
      'application/json',
      { parseAs: 'string', bodyLimit: BODY_LIMIT },
      (_request, text, done) => {
        // A POST without a body (rotate-secret) may still say application/json.
        if (text === '') return done(null, undefined);
        try {
          done(null, JSON.parse(text as string));
        } catch {
          done(Object.assign(new Error('The request body is not JSON'), { statusCode: 400 }), undefined);
        }
      },
    );
    api.setValidatorCompiler(({ schema, httpPart }) =>
      (httpPart === 'body' ? bodies : queries).compile(schema as object),
    );
    api.setErrorHandler(managementErrorHandler(deps.storage));
    api.setNotFoundHandler(managementNotFound);
    api.addHook('onRequest', requireScopes(auth));
    clientRoutes(api, { store, box });
    clientGrantRoutes(api, { store });
    resourceServerRoutes(api, { store, managementAudience: auth.audience });
    connectionRoutes(api, { store });
  };
  return async (app) => {
    await app.register(plugin, { prefix: '/api/v2' });
  };
}
