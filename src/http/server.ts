// The Fastify server the surfaces are registered on: logging, body limit, timeouts, one log line per request,
// the request id (x-request-id) and the request metrics.
import Fastify, {
  type FastifyBaseLogger,
  type FastifyError,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
  LogController,
} from 'fastify';
import pino from 'pino';
import type { Config } from '../config.js';
import type { Metrics } from '../metrics/registry.js';
import { lazyChildLogger } from './log.js';
import { readServedCertificate } from './tls.js';
import { trustedProxies } from './trusted-proxies.js';

/** How often Node looks for requests past their headers or request timeout (its default is 30 s). */
const CONNECTIONS_CHECK_MS = 1000;

/** The OAuth 2.0 body limit (docs/operations.md "Request bodies"); /api/v2 takes 1 MiB (http/management/surface.ts). */
const OAUTH_BODY_LIMIT = 64 * 1024;

type FrameworkErrorHandler = (error: FastifyError, request: FastifyRequest, reply: FastifyReply) => unknown;

export function createServer(
  config: Pick<Config, 'headersTimeoutMs' | 'requestTimeoutMs' | 'keepAliveTimeoutMs' | 'tls' | 'trustProxy'>,
  logger: FastifyBaseLogger,
  onFrameworkError: FrameworkErrorHandler,
  metrics: Pick<Metrics, 'httpRequestDuration' | 'throttled' | 'requestTimeouts'>,
): FastifyInstance {
  // Node's options for HTTP/1.1; Fastify hands `http` to http.createServer only, so with TLS they join `https`.
  const http = {
    headersTimeout: config.headersTimeoutMs,
    requestTimeout: config.requestTimeoutMs,
    connectionsCheckingInterval: CONNECTIONS_CHECK_MS,
  };
  const proxies = trustedProxies(config.trustProxy);
  const app = Fastify({
    // HTTP/1.1 only, over TLS too: see docs/https.md "HTTP/2".
    ...(config.tls ? { https: { ...http, ...readServedCertificate(config.tls) } } : { http }),
    loggerInstance: logger,
    // Every log line of a request carries it as reqId (Fastify's child logger binding).
    genReqId: proxies.requestId,
    childLoggerFactory: lazyChildLogger,
    bodyLimit: OAUTH_BODY_LIMIT,
    // request.ip: the socket's address, or the client X-Forwarded-For names when that hop is a trusted proxy.
    trustProxy: config.trustProxy.length ? (address: string) => proxies.trusts(address) : false,
    return503OnClosing: true,
    forceCloseConnections: 'idle',
    // Slow clients hold connections, and each is a file descriptor (docs/operations.md, "Connection limits").
    // A request must arrive whole in time: its headers (answered 408), then its body (408 as well).
    // (requestTimeout given to Node too: it checks headersTimeout against it, or its 300 s default, at once.)
    requestTimeout: config.requestTimeoutMs,
    // Node checks the two above only once a request has begun: a connection that never sends a byte, or
    // goes silent, is closed by this idle timeout instead. It ends later than they do, so that a request
    // that began still gets its 408 rather than a silent close.
    connectionTimeout: config.requestTimeoutMs + 2 * CONNECTIONS_CHECK_MS,
    keepAliveTimeout: config.keepAliveTimeoutMs,
    // One log line per request (below) instead of Fastify's two.
    logController: new LogController({ disableRequestLogging: true }),
    ajv: { customOptions: { coerceTypes: false } },
    // A URL the router cannot read: answered like any other bad request, not with Fastify's own body.
    frameworkErrors: (error, request, reply) => onFrameworkError(error, request, reply),
  });
  // A request past its headers or request timeout never reaches a route, so the request histogram cannot see
  // it: Node reports it as a client error and Fastify's handler answers the 408 (RFC 9110 §15.5.9). Counted
  // here, beside that handler; everything else it reports (bad requests, resets) is not a timeout.
  app.server.on('clientError', (error: NodeJS.ErrnoException) => {
    if (error.code === 'ERR_HTTP_REQUEST_TIMEOUT') metrics.requestTimeouts.inc();
  });
  app.addHook('onRequest', (request, reply, done) => {
    reply.header('x-request-id', request.id);
    done();
  });
  const observe = observeRequests(metrics);
  // Below level info there is no request line to write.
  const logLines = pino.levels.values[logger.level] <= pino.levels.values.info;
  app.addHook('onResponse', (request, reply, done) => {
    observe(request, reply);
    if (logLines) {
      request.log.info(
        { req: request, status: reply.statusCode, ms: Math.round(reply.elapsedTime * 10) / 10 },
        'request',
      );
    }
    done();
  });
  return app;
}

/**
 * Counts an answered request by its route's pattern (`/api/v2/users/:id`, never the URL, so the labels stay
 * few); a path no route matched counts as `unmatched`. Each label set's histogram child is looked up once.
 */
function observeRequests(metrics: Pick<Metrics, 'httpRequestDuration' | 'throttled'>) {
  const children = new Map<string, ReturnType<Metrics['httpRequestDuration']['labels']>>();
  return (request: FastifyRequest, reply: FastifyReply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    const status = reply.statusCode;
    const key = `${request.method} ${status} ${route}`;
    let child = children.get(key);
    if (!child) {
      child = metrics.httpRequestDuration.labels(request.method, route, String(status));
      children.set(key, child);
    }
    child.observe(reply.elapsedTime / 1000);
    // RFC 6585 §4: 429 is what attack protection answers (too_many_attempts, too_many_requests).
    if (status === 429) metrics.throttled.inc({ route });
  };
}
