// The Fastify server the surfaces are registered on: logging, body limit, timeouts, one log line per request.
import { randomUUID } from 'node:crypto';
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
import { lazyChildLogger } from './log.js';
import { readServedCertificate } from './tls.js';

/** How often Node looks for requests past their headers or request timeout (its default is 30 s). */
const CONNECTIONS_CHECK_MS = 1000;

/** The OAuth 2.0 body limit (docs/operations.md "Request bodies"); /api/v2 takes 1 MiB (http/management/surface.ts). */
const OAUTH_BODY_LIMIT = 64 * 1024;

type FrameworkErrorHandler = (error: FastifyError, request: FastifyRequest, reply: FastifyReply) => unknown;

export function createServer(
  config: Pick<Config, 'headersTimeoutMs' | 'requestTimeoutMs' | 'keepAliveTimeoutMs' | 'tls'>,
  logger: FastifyBaseLogger,
  onFrameworkError: FrameworkErrorHandler,
): FastifyInstance {
  // Node's options for HTTP/1.1; Fastify hands `http` to http.createServer only, so with TLS they join `https`.
  const http = {
    headersTimeout: config.headersTimeoutMs,
    requestTimeout: config.requestTimeoutMs,
    connectionsCheckingInterval: CONNECTIONS_CHECK_MS,
  };
  const app = Fastify({
    // HTTP/1.1 only, over TLS too: see docs/https.md "HTTP/2".
    ...(config.tls ? { https: { ...http, ...readServedCertificate(config.tls) } } : { http }),
    loggerInstance: logger,
    genReqId: () => randomUUID(),
    childLoggerFactory: lazyChildLogger,
    bodyLimit: OAUTH_BODY_LIMIT,
    trustProxy: false,
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
  // Below level info there is no request line to write: no hook runs for it on every request.
  if (pino.levels.values[logger.level] <= pino.levels.values.info) {
    app.addHook('onResponse', (request, reply, done) => {
      request.log.info(
        { req: request, status: reply.statusCode, ms: Math.round(reply.elapsedTime * 10) / 10 },
        'request',
      );
      done();
    });
  }
  return app;
}
