// buildApp(config): opens the store, migrates, loads keys and the tenant, builds Fastify. Never listens,
// so tests and worker processes start the very same app.
import { randomUUID } from 'node:crypto';
import formbody from '@fastify/formbody';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, LogController } from 'fastify';
import pino from 'pino';

import { type Config, endpoints } from './config.js';
import { argon2Concurrency, createPasswords } from './crypto/passwords.js';
import type { SecretBox } from './crypto/secret-box.js';
import cookie from '@fastify/cookie';
import { authorizeRoutes } from './http/authorize.js';
import { dbconnectionsRoutes } from './http/dbconnections.js';
import { limitConnections } from './http/connection-limit.js';
import { healthRoute } from './http/health.js';
import { logoutRoutes } from './http/logout.js';
import { corsRoutes } from './http/oauth/cors.js';
import { userinfoRoute } from './http/oauth/userinfo.js';
import { sendErrorPage } from './login/pages.js';
import { createRenderer } from './login/render.js';
import { consentRoutes } from './login/consent.js';
import { loginRoutes } from './login/routes.js';
import { databaseConnectionsOf } from './tenant-file/connections.js';
import { lazyChildLogger } from './http/log.js';
import { oauthErrorHandler } from './http/oauth/errors.js';
import { errorAnswer, fallbackHandlers } from './http/fallback.js';
import { RETRY_AFTER_SECONDS, StorageHealth } from './http/storage-health.js';
import { tokenRoute } from './http/oauth/token.js';
import { addSecurityHeaders } from './http/security-headers.js';
import { wellKnownRoutes } from './http/well-known.js';
import type { DevelopmentTenant } from './tenant-file/bootstrap.js';
import { CredentialCache } from './protocol/credential-cache.js';
import { broadcastInvalidation, onInvalidation } from './invalidation.js';
import type { Keyring } from './protocol/keys/keyring.js';
import { type CachedStore, createCachedStore } from './store/cache.js';
import { openStoreAndKeys, prepareStart } from './start-up.js';

/** How often Node looks for requests past their headers or request timeout (its default is 30 s). */
const CONNECTIONS_CHECK_MS = 1000;

/** The OAuth 2.0 body limit (docs/operations.md "Request bodies"); /api/v2 will take 1 MiB. */
export const OAUTH_BODY_LIMIT = 64 * 1024;

export interface Gatehouse {
  app: FastifyInstance;
  store: CachedStore;
  keyring: Keyring;
  box: SecretBox;
  /** Set on the start that created the development client: the banner shows it once. */
  developmentTenant?: DevelopmentTenant;
  /** Set when a master secret was generated beside the SQLite file on this start. */
  generatedSecretPath?: string;
  close(): Promise<void>;
}

export interface BuildOptions {
  logger: FastifyBaseLogger;
  now?: () => number;
  /** The tenant was prepared already (by the cluster primary): do not apply start-up writes again. */
  prepared?: boolean;
}

export async function buildApp(config: Config, options: BuildOptions): Promise<Gatehouse> {
  const now = options.now ?? Date.now;
  const urls = endpoints(config.issuer);
  const prepared = options.prepared ? {} : await prepareStart(config, now);
  const opened = await openStoreAndKeys(config, now, { migrate: !options.prepared });
  const { box, keyring, csrfKey } = opened;
  const secureCookies = config.issuer.startsWith('https:');
  const store = createCachedStore(opened.store, { now, broadcast: broadcastInvalidation });
  onInvalidation(() => {
    store.invalidate();
    keyring.invalidate();
  });

  // Writes failing for lack of space or a read-only database: 503 on every surface, /healthz reports it.
  const storage = new StorageHealth(store, now);
  const renderer = createRenderer();
  const pages = { store, renderer };

  const app = Fastify({
    loggerInstance: options.logger,
    genReqId: () => randomUUID(),
    childLoggerFactory: lazyChildLogger,
    bodyLimit: OAUTH_BODY_LIMIT,
    trustProxy: false,
    return503OnClosing: true,
    forceCloseConnections: 'idle',
    // Slow clients hold connections, and each is a file descriptor (docs/operations.md, "Connection limits").
    // A request must arrive whole in time: its headers (answered 408), then its body (408 as well).
    // (requestTimeout given to Node too: it checks headersTimeout against it, or its 300 s default, at once.)
    http: {
      headersTimeout: config.headersTimeoutMs,
      requestTimeout: config.requestTimeoutMs,
      connectionsCheckingInterval: CONNECTIONS_CHECK_MS,
    },
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
    frameworkErrors: (error, request, reply) => errorAnswer(error, request, reply, pages, storage),
  });
  // Below level info there is no request line to write: no hook runs for it on every request.
  if (pino.levels.values[options.logger.level] <= pino.levels.values.info) {
    app.addHook('onResponse', (request, reply, done) => {
      request.log.info(
        { req: request, status: reply.statusCode, ms: Math.round(reply.elapsedTime * 10) / 10 },
        'request',
      );
      done();
    });
  }
  limitConnections(app.server, config.maxConnections, app.log);
  addSecurityHeaders(app, config.issuer.startsWith('https:'));
  fallbackHandlers(app, pages, storage);
  healthRoute(app, store, keyring, storage);
  wellKnownRoutes(app, config.issuer, keyring);

  await app.register(async (oauth) => {
    oauth.removeAllContentTypeParsers();
    await oauth.register(formbody);
    oauth.addContentTypeParser('application/json', { parseAs: 'string' }, oauth.getDefaultJsonParser('error', 'error'));
    oauth.setErrorHandler(oauthErrorHandler(storage));
    tokenRoute(oauth, {
      clients: store.clients,
      clientAssertions: store.clientAssertions,
      stores: store,
      box,
      credentials: new CredentialCache(box),
      keyring,
      issuer: config.issuer,
      tokenEndpoint: urls.token,
      adminClientId: config.adminClientId,
      now,
    });
    userinfoRoute(oauth, { stores: store, keyring, issuer: config.issuer, now });
    corsRoutes(oauth, store.clients);
  });

  // Each worker runs its share of the cores' argon2id at once (crypto/passwords.ts).
  const passwords = createPasswords(argon2Concurrency(config.workers));
  await app.register(async (dbconnections) => dbconnectionsRoutes(dbconnections, { store, passwords, storage, now }));

  // What a browser sees: /authorize, the login pages, logout. HTML answers, errors as error pages.
  await app.register(async (browser) => {
    browser.removeAllContentTypeParsers();
    await browser.register(cookie);
    await browser.register(formbody);
    browser.setErrorHandler(async (error, request, reply) => {
      const status = (error as { statusCode?: number }).statusCode;
      if (status !== undefined && status >= 400 && status < 500)
        return sendErrorPage(reply, pages, status, 'The request could not be read.', 'Invalid request');
      if (storage.report(error, request.log)) {
        reply.header('retry-after', String(RETRY_AFTER_SECONDS));
        return sendErrorPage(
          reply,
          pages,
          503,
          'The service is temporarily unavailable. Try again later.',
          'Service unavailable',
        );
      }
      request.log.error({ err: error }, 'unexpected error');
      return sendErrorPage(reply, pages, 500, 'An unexpected error occurred. Try again later.');
    });
    const interaction = {
      stores: store,
      keyring,
      issuer: config.issuer,
      now,
      databaseConnections: async (clientId: string) => databaseConnectionsOf(store, clientId),
      pendingLogins: { perIp: config.maxPendingLoginsPerIp, perBrowser: config.maxPendingLoginsPerBrowser },
    };
    authorizeRoutes(browser, { ...pages, store, interaction, now, secureCookies });
    loginRoutes(browser, { ...pages, store, csrfKey, secureCookies, passwords, now });
    consentRoutes(browser, { ...pages, store, csrfKey, secureCookies, now, interaction });
    logoutRoutes(browser, { ...pages, store, keyring, issuer: config.issuer, secureCookies });
  });

  app.addHook('onClose', async () => store.close());
  await app.ready();
  return { app, store, keyring, box, ...prepared, close: () => app.close() };
}
