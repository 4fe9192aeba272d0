// buildApp(config): the start-up (start-up.ts), the shared dependencies, then one Fastify app made of a list
// of surfaces. Never listens, so tests and worker processes start the very same app.
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import { countedAuditLog, noAuditLog } from './audit/events.js';
import { AuditWriter } from './audit/writer.js';
import { type Clock, createClock } from './clock.js';
import { captureMessages } from './delivery/capture.js';
import { createMessages } from './delivery/create.js';
import type { Config } from './config.js';
import { argon2Concurrency, argon2OptionsFor, createPasswords } from './crypto/passwords.js';
import type { SecretBox } from './crypto/secret-box.js';
import { browserSurface } from './http/browser.js';
import { limitConnections } from './http/connection-limit.js';
import type { MetricsText } from './http/metrics.js';
import { refuseNulParameters } from './http/nul-bytes.js';
import { crossOriginSurface } from './http/cross-origin.js';
import { dbconnectionsSurface } from './http/dbconnections.js';
import { passwordlessSurface } from './http/passwordless.js';
import { managementSurface } from './http/management/surface.js';
import { oauthSurface } from './http/oauth/surface.js';
import { frameworkErrorHandler, rootSurface } from './http/root.js';
import { addSecurityHeaders } from './http/security-headers.js';
import { createServer } from './http/server.js';
import { StorageHealth } from './http/storage-health.js';
import type { SurfaceDeps } from './http/surface.js';
import { testApiSurface } from './http/test-api.js';
import { broadcastInvalidation, onInvalidation } from './invalidation.js';
import { createRenderer } from './login/render.js';
import { createMetrics, type Metrics } from './metrics/registry.js';
import type { Keyring } from './protocol/keys/keyring.js';
import { openStoreAndKeys, type PreparedStart, prepareStart } from './start-up.js';
import { type CachedStore, createCachedStore } from './store/cache.js';
import type { ChangeListener } from './store/types.js';
import type { DevelopmentTenant } from './tenant-file/bootstrap.js';

export interface Gatehouse {
  app: FastifyInstance;
  store: CachedStore;
  keyring: Keyring;
  box: SecretBox;
  /** This process's metrics (a cluster worker answers /metrics for its whole instance: metrics/cluster.ts). */
  metrics: Metrics;
  /** What /metrics answers. */
  metricsText: MetricsText;
  /** Set on the start that created the development client: the banner shows it once. */
  developmentTenant?: DevelopmentTenant;
  /** Set when a master secret was generated beside the SQLite file on this start. */
  generatedSecretPath?: string;
  /** Test mode only: the clock /test/clock moves. */
  clock?: Clock;
  /** Set when this build prepared the start itself with GATEHOUSE_TLS=auto (test mode): the banner's trust lines. */
  localTls?: PreparedStart['localTls'];
  close(): Promise<void>;
}

export interface BuildOptions {
  logger: FastifyBaseLogger;
  now?: () => number;
  /** The start was prepared already (by the cluster primary): do not apply start-up writes again. */
  prepared?: boolean;
  /** What /metrics answers, given this app's metrics; this process's own metrics when not set. */
  metricsText?: (metrics: Metrics) => MetricsText;
}

export async function buildApp(config: Config, options: BuildOptions): Promise<Gatehouse> {
  const test = config.mode === 'test';
  // Test mode: one clock everything reads, which /test/clock moves forward (clock.ts).
  const clock = test ? createClock(options.now) : undefined;
  const now = clock?.now ?? options.now ?? Date.now;
  const prepared = options.prepared ? {} : await prepareStart(config, now);
  const metrics = createMetrics();
  const metricsText = options.metricsText?.(metrics) ?? (() => metrics.registry.metrics());
  const opened = await openStoreAndKeys(config, now, { migrate: !options.prepared, metrics });
  const { box, keyring, csrfKey, passwordlessKey } = opened;
  // What /test/reset puts back: the tenant as this start left it.
  const startState = test ? await opened.store.snapshot() : undefined;
  const store = createCachedStore(opened.store, { now, broadcast: broadcastInvalidation, metrics });
  // The outbox's length, counted in the database when /metrics is read.
  metrics.sources.outbox = () => store.outbox.countByChannel();
  const dropCaches = () => {
    store.invalidate();
    keyring.invalidate();
  };
  // Another worker of this instance wrote (invalidation.ts); another instance wrote (PostgreSQL NOTIFY).
  onInvalidation(dropCaches);
  let changes: ChangeListener | undefined;
  // Rows written in batches off the request path; a clean close writes the last batch (audit/writer.ts).
  const writer = config.auditLog
    ? new AuditWriter({ store: store.logs, logger: options.logger, now, retentionDays: config.logRetentionDays })
    : undefined;
  // E-mails and text messages: queued in the outbox and sent after the answer, or only logged while no mail
  // server (SMS webhook) is configured (delivery/create.ts).
  // Test mode keeps them for GET /test/outbox instead (delivery/capture.ts).
  const messages = test
    ? captureMessages({ config, store, logger: options.logger, now })
    : createMessages({ config, store, logger: options.logger, now });
  const deps: SurfaceDeps = {
    config,
    store,
    keyring,
    box,
    csrfKey,
    passwordlessKey,
    // Each worker runs its share of the cores' argon2id at once (crypto/passwords.ts).
    passwords: createPasswords(argon2Concurrency(config.workers), argon2OptionsFor(config.mode)),
    renderer: createRenderer(),
    // Writes failing for lack of space or a read-only database: 503 on every surface, /healthz reports it.
    storage: new StorageHealth(store, now),
    audit: countedAuditLog(writer ?? noAuditLog, metrics.auditEvents),
    messages,
    metrics,
    metricsText,
    now,
  };

  const app = createServer(config, options.logger, frameworkErrorHandler(deps), metrics);
  limitConnections(app.server, config.maxConnections, app.log, metrics);
  // No HSTS from the local CA's localhost certificate: RFC 6797 binds a policy to the host whatever the port,
  // so every other app on http://localhost would be forced to https in that browser.
  addSecurityHeaders(app, config.issuer.startsWith('https:') && config.tls?.mode !== 'auto');
  refuseNulParameters(app);
  const surfaces = [
    rootSurface(deps),
    oauthSurface(deps),
    dbconnectionsSurface(deps),
    passwordlessSurface(deps),
    crossOriginSurface(deps),
    managementSurface(deps),
    browserSurface(deps),
  ];
  if (clock && startState) {
    const reset = async () => {
      await store.restore(startState);
      dropCaches();
    };
    surfaces.push(testApiSurface({ ...deps, clock, reset }));
  }
  for (const surface of surfaces) await app.register(surface);

  app.addHook('onClose', async () => {
    await writer?.close();
    await messages.close();
    await changes?.close();
    await store.close();
  });
  await app.ready();
  // Started last: a build that failed above leaves no connection open.
  changes = store.listenForChanges({
    onChange: dropCaches,
    onLost: (error) =>
      options.logger.warn(
        { err: error },
        'the connection that listens for configuration changes failed; reconnecting (caches still check the database every second)',
      ),
  });
  return { app, store, keyring, box, metrics, metricsText, ...prepared, clock, close: () => app.close() };
}
