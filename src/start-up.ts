// Everything a start does before HTTP: open and migrate the database, load or create the signing keys,
// apply the tenant file, make the HTTPS certificate. Kept apart from app.ts so that the cluster primary and the CLI load neither
// Fastify nor the login pages.
import { readFileSync } from 'node:fs';
import { type Config, ConfigError, endpoints, environmentVariable } from './config.js';
import { validatePageTemplate } from './login/template-checks.js';
import { ensureLocalTls, type LocalTlsFiles, spkiHash } from './crypto/local-tls.js';
import { readServedCertificate } from './http/tls.js';
import { readSmtpCa } from './delivery/create.js';
import { resolveMasterSecret } from './crypto/master-secret.js';
import { argon2Concurrency, argon2OptionsFor, createPasswords } from './crypto/passwords.js';
import { createSecretBox, deriveKey } from './crypto/secret-box.js';
import {
  applyTenantFileAtStart,
  type DevelopmentTenant,
  ensureManagementApi,
  seedDevelopmentTenant,
  upsertAdminClient,
} from './tenant-file/bootstrap.js';
import { Keyring } from './protocol/keys/keyring.js';
import { certificateHost, ensureSigningKeys } from './protocol/keys/rotation.js';
import { type Connection, type DatabaseMetrics, migrate, openDatabase } from './store/kysely/db.js';
import { createStore } from './store/kysely/index.js';
import { describeStartError } from './store/start-errors.js';

/** Opens the database, migrates it, resolves the master secret and loads the signing keys. Also used by the CLI. */
export interface OpenOptions {
  migrate: boolean;
  /** The app's metrics: query latency and pool use are counted (not by the primary's or the CLI's one-off opens). */
  metrics?: DatabaseMetrics;
}

export async function openStoreAndKeys(
  config: Config,
  now: () => number = Date.now,
  options: OpenOptions = { migrate: true },
) {
  const lockTimeoutMs = config.databaseLockTimeout * 1000;
  let connection: Connection;
  try {
    connection = openDatabase(config.databaseUrl, {
      busyTimeoutMs: lockTimeoutMs,
      timeoutMs: config.databaseTimeoutMs,
      metrics: options.metrics,
    });
  } catch (error) {
    throw describeStartError(error, config.databaseUrl, config.databaseLockTimeout) ?? error;
  }
  const store = createStore(connection, now);
  try {
    if (options.migrate) await migrateUnbounded(config, connection, lockTimeoutMs);
    const master = resolveMasterSecret(config.secret, connection.sqliteFile);
    const box = createSecretBox(master.secret);
    const csrfKey = deriveKey(master.secret, 'csrf tokens v1');
    const passwordlessKey = deriveKey(master.secret, 'passwordless codes v1');
    const keyring = new Keyring(store, box, now);
    // Load existing keys first: a wrong GATEHOUSE_SECRET must stop the start before anything is written.
    await keyring.load();
    await ensureSigningKeys(store, box, now, certificateHost(config.issuer));
    await keyring.load();
    return { store, box, keyring, csrfKey, passwordlessKey, generatedSecretPath: master.generatedAt };
  } catch (error) {
    await store.close().catch(() => {});
    throw describeStartError(error, config.databaseUrl, config.databaseLockTimeout) ?? error;
  }
}

/**
 * Migrations on PostgreSQL run on a connection of their own without GATEHOUSE_DATABASE_TIMEOUT: a long
 * migration, or waiting for another instance's (Kysely's advisory lock), is not a request that hangs.
 */
async function migrateUnbounded(config: Config, connection: Connection, lockTimeoutMs: number): Promise<void> {
  if (connection.dialect === 'sqlite') return migrate(connection, lockTimeoutMs);
  const own = openDatabase(config.databaseUrl);
  try {
    await migrate(own, lockTimeoutMs);
  } finally {
    await own.db.destroy();
  }
}

export interface PreparedStart {
  developmentTenant?: DevelopmentTenant;
  generatedSecretPath?: string;
  /** GATEHOUSE_TLS=auto: the local CA's files and its SPKI hash, for the banner's trust lines. */
  localTls?: LocalTlsFiles & { caSpki: string };
}

/**
 * GATEHOUSE_TLS=auto: the CA made once, the server certificate issued when needed. Brought files: read and
 * checked here, so that a missing file or a key that does not match is one clear line, not a worker's failure.
 */
export async function prepareTls(config: Config, now: () => number): Promise<PreparedStart['localTls']> {
  const tls = config.tls;
  if (!tls) return undefined;
  try {
    if (tls.mode === 'files') {
      readServedCertificate(tls);
      return undefined;
    }
    const files = await ensureLocalTls(tls.dir, tls.hosts, now());
    readServedCertificate(tls);
    return { ...files, caSpki: spkiHash(readFileSync(files.caPath, 'utf8')) };
  } catch (error) {
    const where =
      tls.mode === 'auto' ? `the local certificate authority in ${tls.dir}` : `${tls.certPath} and ${tls.keyPath}`;
    throw new ConfigError(`Cannot serve HTTPS with ${where}: ${(error as Error).message}`, { cause: error });
  }
}

/**
 * Every write a start makes, before any request is served: migrations, keys, the Management API, the
 * tenant file, the operator's client, the development client. The cluster primary runs it once and its
 * workers then build the app with `prepared: true`.
 */
export async function prepareStart(config: Config, now: () => number = Date.now): Promise<PreparedStart> {
  const urls = endpoints(config.issuer);
  // Before any worker starts: a CA file that cannot be read is one clear sentence, not a worker's failure.
  readSmtpCa(config);
  const localTls = await prepareTls(config, now);
  const { store, box, generatedSecretPath } = await openStoreAndKeys(config, now);
  try {
    await ensureManagementApi(store, urls.managementAudience);
    let developmentTenant: DevelopmentTenant | undefined;
    // The start runs alone (before any worker): the tenant file's passwords may use every core.
    const passwords = createPasswords(argon2Concurrency(1), argon2OptionsFor(config.mode));
    if (config.bootstrapPath)
      await applyTenantFileAtStart(store, config.bootstrapPath, box, passwords, urls.managementAudience, now, {
        checkPageTemplate: validatePageTemplate,
        variables: environmentVariable,
      });
    else developmentTenant = await seedDevelopmentTenant(store, box);
    if (config.adminClientId && config.adminClientSecret) {
      await upsertAdminClient(store, config.adminClientId, config.adminClientSecret, box, urls.managementAudience);
    }
    return { developmentTenant, generatedSecretPath, localTls };
  } finally {
    await store.close();
  }
}
