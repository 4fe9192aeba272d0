// buildApp(config): opens the store, migrates, loads keys and the tenant, builds Fastify. Never listens,
// so tests and worker processes start the very same app.
import { randomUUID } from 'node:crypto';
import formbody from '@fastify/formbody';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';

import { type Config, endpoints } from './config.js';
import { resolveMasterSecret } from './crypto/master-secret.js';
import { createSecretBox, type SecretBox } from './crypto/secret-box.js';
import { healthRoute } from './http/health.js';
import { serializers } from './http/log.js';
import { sendOAuthError } from './http/oauth/errors.js';
import { tokenRoute } from './http/oauth/token.js';
import { addSecurityHeaders } from './http/security-headers.js';
import { wellKnownRoutes } from './http/well-known.js';
import {
  applyTenantFileAtStart, type DevelopmentTenant, ensureManagementApi, seedDevelopmentTenant, upsertAdminClient,
} from './management/bootstrap.js';
import { ensureSigningKeys, Keyring } from './protocol/keys.js';
import { migrate, openDatabase } from './store/kysely/db.js';
import { createStore } from './store/kysely/index.js';
import type { Store } from './store/types.js';

/** The OAuth 2.0 body limit (SPEC.md §2); /api/v2 will take 1 MiB. */
export const OAUTH_BODY_LIMIT = 64 * 1024;

export interface Gatehouse {
  app: FastifyInstance;
  store: Store;
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
}

/** Opens the database, migrates it and loads the tenant: everything but HTTP. Also used by the CLI. */
export async function openTenant(config: Config, now: () => number = Date.now) {
  const connection = openDatabase(config.databaseUrl);
  const store = createStore(connection, now);
  try {
    await migrate(connection);
    const master = resolveMasterSecret(config.secret, connection.sqliteFile);
    const box = createSecretBox(master.secret);
    const keyring = new Keyring(store, box, now);
    // Load existing keys first: a wrong GATEHOUSE_SECRET must stop the start before anything is written.
    await keyring.load();
    await ensureSigningKeys(store, box, now);
    await keyring.load();
    return { store, box, keyring, generatedSecretPath: master.generatedAt };
  } catch (error) {
    await store.close();
    throw error;
  }
}

export async function buildApp(config: Config, options: BuildOptions): Promise<Gatehouse> {
  const now = options.now ?? Date.now;
  const urls = endpoints(config.issuer);
  const { store, box, keyring, generatedSecretPath } = await openTenant(config, now);
  let developmentTenant: DevelopmentTenant | undefined;
  try {
    await ensureManagementApi(store, urls.managementAudience);
    if (config.bootstrapPath) await applyTenantFileAtStart(store, config.bootstrapPath, box, urls.managementAudience, now);
    else developmentTenant = await seedDevelopmentTenant(store, box);
    if (config.adminClientId && config.adminClientSecret) {
      await upsertAdminClient(store, config.adminClientId, config.adminClientSecret, box, urls.managementAudience);
    }
  } catch (error) {
    await store.close();
    throw error;
  }

  const app = Fastify({
    loggerInstance: options.logger,
    genReqId: () => randomUUID(),
    bodyLimit: OAUTH_BODY_LIMIT,
    trustProxy: false,
    return503OnClosing: true,
    forceCloseConnections: 'idle',
    ajv: { customOptions: { coerceTypes: false } },
  });
  app.setReplySerializer((payload) => JSON.stringify(payload));
  addSecurityHeaders(app, config.issuer.startsWith('https:'));
  healthRoute(app, store, keyring);
  wellKnownRoutes(app, config.issuer, keyring);

  await app.register(async (oauth) => {
    oauth.removeAllContentTypeParsers();
    await oauth.register(formbody);
    oauth.addContentTypeParser('application/json', { parseAs: 'string' }, oauth.getDefaultJsonParser('error', 'error'));
    oauth.setErrorHandler(sendOAuthError);
    tokenRoute(oauth, {
      clients: store.clients,
      clientAssertions: store.clientAssertions,
      stores: store,
      box,
      keyring,
      issuer: config.issuer,
      tokenEndpoint: urls.token,
      adminClientId: config.adminClientId,
      now,
    });
  });

  app.addHook('onClose', async () => store.close());
  await app.ready();
  return { app, store, keyring, box, developmentTenant, generatedSecretPath, close: () => app.close() };
}
