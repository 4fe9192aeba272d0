// buildApp(config): the start-up (start-up.ts), the shared dependencies, then one Fastify app made of a list
// of surfaces. Never listens, so tests and worker processes start the very same app.
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import { noAuditLog } from './audit/events.js';
import { AuditWriter } from './audit/writer.js';
import { createMessages } from './delivery/create.js';
import type { Config } from './config.js';
import { argon2Concurrency, createPasswords } from './crypto/passwords.js';
import type { SecretBox } from './crypto/secret-box.js';
import { browserSurface } from './http/browser.js';
import { limitConnections } from './http/connection-limit.js';
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
import { broadcastInvalidation, onInvalidation } from './invalidation.js';
import { createRenderer } from './login/render.js';
import type { Keyring } from './protocol/keys/keyring.js';
import { openStoreAndKeys, prepareStart } from './start-up.js';
import { type CachedStore, createCachedStore } from './store/cache.js';
import type { DevelopmentTenant } from './tenant-file/bootstrap.js';

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
  /** The start was prepared already (by the cluster primary): do not apply start-up writes again. */
  prepared?: boolean;
}

export async function buildApp(config: Config, options: BuildOptions): Promise<Gatehouse> {
  const now = options.now ?? Date.now;
  const prepared = options.prepared ? {} : await prepareStart(config, now);
  const opened = await openStoreAndKeys(config, now, { migrate: !options.prepared });
  const { box, keyring, csrfKey, passwordlessKey } = opened;
  const store = createCachedStore(opened.store, { now, broadcast: broadcastInvalidation });
  onInvalidation(() => {
    store.invalidate();
    keyring.invalidate();
  });
  // Rows written in batches off the request path; a clean close writes the last batch (audit/writer.ts).
  const writer = config.auditLog
    ? new AuditWriter({ store: store.logs, logger: options.logger, now, retentionDays: config.logRetentionDays })
    : undefined;
  // E-mails and text messages: queued in the outbox and sent after the answer, or only logged while no mail
  // server (SMS webhook) is configured (delivery/create.ts).
  const messages = createMessages({ config, store, logger: options.logger, now });
  const deps: SurfaceDeps = {
    config,
    store,
    keyring,
    box,
    csrfKey,
    passwordlessKey,
    // Each worker runs its share of the cores' argon2id at once (crypto/passwords.ts).
    passwords: createPasswords(argon2Concurrency(config.workers)),
    renderer: createRenderer(),
    // Writes failing for lack of space or a read-only database: 503 on every surface, /healthz reports it.
    storage: new StorageHealth(store, now),
    audit: writer ?? noAuditLog,
    messages,
    now,
  };

  const app = createServer(config, options.logger, frameworkErrorHandler(deps));
  limitConnections(app.server, config.maxConnections, app.log);
  addSecurityHeaders(app, config.issuer.startsWith('https:'));
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
  for (const surface of surfaces) await app.register(surface);

  app.addHook('onClose', async () => {
    await writer?.close();
    await messages.close();
    await store.close();
  });
  await app.ready();
  return { app, store, keyring, box, ...prepared, close: () => app.close() };
}
