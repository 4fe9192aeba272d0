import type { FastifyInstance } from 'fastify';
import type { Keyring } from '../protocol/keys/keyring.js';
import type { Store } from '../store/types.js';

/** GET /healthz: 200 once the database answers and the signing keys are loaded, else 503. */
export function healthRoute(app: FastifyInstance, store: Store, keyring: Keyring) {
  app.get('/healthz', async (request, reply) => {
    try {
      await store.ping();
    } catch (error) {
      request.log.warn({ err: error }, 'database unreachable');
      return reply.code(503).header('cache-control', 'no-store').send({ status: 'unavailable', reason: 'database unreachable' });
    }
    if (!keyring.ready) return reply.code(503).header('cache-control', 'no-store').send({ status: 'unavailable', reason: 'signing keys not loaded' });
    return reply.header('cache-control', 'no-store').send({ status: 'ok' });
  });
}
