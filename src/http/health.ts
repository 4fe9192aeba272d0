import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Keyring } from '../protocol/keys/keyring.js';
import type { Store } from '../store/types.js';
import type { StorageHealth } from './storage-health.js';

/**
 * GET /healthz and GET /readyz (the same answer, under the name a load balancer's readiness probe expects):
 * 200 once the database answers, the signing keys are loaded and writes work, else 503.
 * Writes are only tried again (one write that changes nothing) after a write failed for lack of space or a
 * read-only database: see StorageHealth.
 */
export function healthRoute(app: FastifyInstance, store: Store, keyring: Keyring, storage: StorageHealth) {
  const unavailable = (reason: string) => ({ status: 'unavailable', reason });
  const ready = async (request: FastifyRequest, reply: FastifyReply) => {
    reply.header('cache-control', 'no-store');
    try {
      await store.ping();
    } catch (error) {
      request.log.warn({ err: error }, 'database unreachable');
      return reply.code(503).send(unavailable('database unreachable'));
    }
    if (!keyring.ready) return reply.code(503).send(unavailable('signing keys not loaded'));
    if (!(await storage.writable(request.log))) return reply.code(503).send(unavailable('database not writable'));
    return reply.send({ status: 'ok' });
  };
  app.get('/healthz', ready);
  app.get('/readyz', ready);
  // GET /livez: the process runs and its event loop turns; no database, so an outage does not get it restarted.
  app.get('/livez', async (_request, reply) => reply.header('cache-control', 'no-store').send({ status: 'ok' }));
}
