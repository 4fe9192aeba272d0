// GET /metrics in Prometheus' text format (docs/operations.md "Observability"). Not public by default: on the
// main port only when GATEHOUSE_METRICS_TOKEN is set, as a bearer token (RFC 6750 §2.1); otherwise on a port of
// its own (GATEHOUSE_METRICS_PORT) bound to the loopback interface; else nowhere (the main port answers 404).
import { createServer, type Server } from 'node:http';
import type { FastifyInstance } from 'fastify';
import { prometheusContentType } from 'prom-client';
import { safeEqual } from '../crypto/hash.js';

/** The metrics text: this process's, or every worker's of the instance added up (metrics/cluster.ts). */
export type MetricsText = () => Promise<string>;

/** `Bearer <token>`, compared in constant time. */
function bearerMatches(expected: string, header: string | undefined): boolean {
  const match = /^Bearer ([^\s]+)$/i.exec(header ?? '');
  return safeEqual(expected, match?.[1] ?? '');
}

export function metricsRoute(app: FastifyInstance, token: string, text: MetricsText) {
  app.get('/metrics', async (request, reply) => {
    reply.header('cache-control', 'no-store');
    if (!bearerMatches(token, request.headers.authorization)) {
      // RFC 6750 §3: a missing or wrong token is 401 with a Bearer challenge.
      return reply
        .code(401)
        .header('www-authenticate', 'Bearer realm="metrics"')
        .send({ error: 'unauthorized', error_description: 'A valid bearer token is required' });
    }
    try {
      return reply.type(prometheusContentType).send(await text());
    } catch (error) {
      request.log.error({ err: error }, 'metrics could not be collected');
      return reply.code(503).send({ error: 'temporarily_unavailable', error_description: 'Metrics are unavailable' });
    }
  });
}

/** The server of GATEHOUSE_METRICS_PORT: GET /metrics and nothing else, no token (it listens on loopback only). */
export function createMetricsServer(text: MetricsText, onError: (error: unknown) => void): Server {
  return createServer((request, response) => {
    const path = (request.url ?? '').split('?')[0];
    if (path !== '/metrics' || (request.method !== 'GET' && request.method !== 'HEAD')) {
      response.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('Not found\n');
      return;
    }
    text().then(
      (body) =>
        response.writeHead(200, { 'content-type': prometheusContentType, 'cache-control': 'no-store' }).end(body),
      (error: unknown) => {
        onError(error);
        response.writeHead(503, { 'content-type': 'text/plain; charset=utf-8' }).end('Metrics are unavailable\n');
      },
    );
  });
}
