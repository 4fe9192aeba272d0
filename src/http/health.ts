import type { FastifyInstance } from 'fastify';
import type { Keyring } from '../protocol/keys/keyring.js';
import type { Store } from '../store/types.js';
import type { StorageHealth } from './storage-health.js';

/**
 * GET /healthz: 200 once the database answers, the signing keys are loaded and writes work, else 503.
 * Writes are only tried again (one write that changes nothing) after a write failed for lack of space or a
 * read-only database: see StorageHealth.
 */
export function healthRoute(app: FastifyInstance, store: Store, keyring: Keyring, storage: StorageHealth) {
  const unavailable = (reason: string) => ({ status: 'unavailable', reason });
  app.get('/healthz', async (request, reply) => {
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
  });
}
